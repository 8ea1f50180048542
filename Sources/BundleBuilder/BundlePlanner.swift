import HadoopConfig
import OCISpec
import RuntimeBase
import StrictJSON
import YarnContract

/// Pure function from (launch request, config, host facts, runtime) to the OCI bundle. Deterministic: the same
/// inputs always give the same `config.json` bytes (golden-tested).
public enum BundlePlanner {
    /// Where kyr-init appears inside the container: under /dev, a tmpfs every runtime creates, so no image needs a
    /// mountpoint for it and no read-only rootfs has to be written to.
    public static let initPath = "/dev/.kyr-init"
    public static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    public static let compatPath = "/dev/.kyr-compat.so"

    /// Debian 12's gVisor rejects AT_NO_AUTOMOUNT in statx/fstatat, which breaks `ls -l` in every YARN
    /// launch script; kyr-compat.so clears the flag (Sources/KyrInit/kyr-compat.c).
    static func usesCompat(_ runtime: String, _ host: HostFacts) -> Bool { runtime == "runsc" && host.compatLibrary != nil }
    /// kyr-share.so: a share of the node's address for a sandbox with its own network stack (Sources/KyrInit/kyr-share.c).
    public static let sharePath = "/dev/.kyr-share.so"

    /// `LD_PRELOAD` (and kyr-share.so's `KYR_SHARE`) for the libraries this container gets.
    static func preloadEnvironment(runtime: String, host: HostFacts) -> [String] {
        let share = host.network?.sharePreload
        let libraries = (share == nil ? [] : [sharePath]) + (usesCompat(runtime, host) ? [compatPath] : [])
        return (libraries.isEmpty ? [] : ["LD_PRELOAD=" + libraries.joined(separator: " ")]) + (share.map { ["KYR_SHARE=\($0.value)"] } ?? [])
    }

    /// `network`: the container's resolved mode (`none` gets a private namespace with loopback only; `routed`
    /// the namespace in `host.network`).
    public static func plan(_ request: LaunchRequest, config: KataSection, host: HostFacts, runtime: String,
                            bundleDirectory: AbsolutePath, network: NetworkMode = .host) throws(RuntimeError) -> BundlePlan {
        let vcores = request.vcores ?? config.defaultVCores
        let memoryMiB = request.memoryMiB ?? config.defaultMemoryMiB
        let image = request.image
        let hostView = image == nil && config.rootfs == "host"
        var rootPath = hostView ? try bundleDirectory.appending("rootfs").value : config.rootfs
        if let image { rootPath = image.directory?.value ?? host.imageRootfs?.value ?? rootPath }
        let script = try request.workDirectory.appending("launch_container.sh")
        let command = image?.arguments ?? ["/bin/bash", script.value]

        let process = Spec.Process(
            args: [initPath] + initArguments(config: config, runtime: runtime) + command,
            env: (image?.environment.filter { !$0.hasPrefix("PATH=") } ?? []) + environment(request, runtime: runtime)
                + preloadEnvironment(runtime: runtime, host: host),
            cwd: request.workDirectory.value,
            user: .init(uid: host.runAsUser.uid, gid: host.runAsUser.gid,
                        additionalGids: host.runAsUser.groups.filter { $0 != host.runAsUser.gid }, umask: 0o027),
            capabilities: .init(bounding: [], effective: [], permitted: [], inheritable: [], ambient: []),
            noNewPrivileges: true,
            rlimits: [])   // inherit the NodeManager's limits, as container-executor does

        var namespaces = ["pid", "ipc", "uts", "mount"]
        if network == .none || host.network != nil { namespaces.append("network") }

        let linux = Spec.Linux(
            namespaces: namespaces,
            cgroupsPath: "/kata-yarn-runtime/\(request.containerId.value)",
            resources: .init(memoryLimitBytes: Int64(memoryMiB) * 1024 * 1024, cpuShares: UInt64(vcores) * 1024,
                             cpuQuota: config.cpuStrict ? Int64(vcores) * 100_000 : nil, cpuPeriod: config.cpuStrict ? 100_000 : nil,
                             pidsLimit: config.pidsLimit),
            maskedPaths: maskedPaths, readonlyPaths: readonlyPaths,
            seccomp: (host.seccompProfile ?? OCISeccomp.yarnDefault).adapted(for: runtime).json,
            networkNamespacePath: host.network?.namespacePath.value)

        let etcView = try etcView(config: config, host: host, hostView: hostView, rootPath: rootPath, runtime: runtime,
                                  bundleDirectory: bundleDirectory)
        var mounts = try mounts(request, config: config, host: host, hostView: hostView, memoryMiB: memoryMiB, runtime: runtime,
                                etcView: etcView)
        if runtime == "kata" { mounts = withSubmounts(mounts, hostMountPoints: host.hostMountPoints) }
        if runtime == "kata" {
            let files = Set([host.initBinary.value] + [host.compatLibrary?.value, host.network?.hostsFile.value, host.network?.sharePreload?.library.value].compactMap { $0 }
                            + host.regularFiles.map(\.value))
            if let clash = fileBindsBeneathReadOnlyBinds(mounts, isFile: { files.contains($0.source) }).first {
                throw RuntimeError(.runcSetupFailed, "kata: \(clash.file) is a file bound beneath the read-only bind \(clash.directory); "
                    + "Kata's agent truncates a file bind's target before mounting it, which fails there (EROFS): bind its directory instead")
            }
        }
        let spec = Spec(
            process: process,
            root: .init(path: rootPath, readonly: true),
            hostname: hostname(request, config: config, host: host),
            mounts: mounts,
            annotations: annotations(request, config: config, runtime: runtime, vcores: vcores, memoryMiB: memoryMiB),
            linux: linux)
        return BundlePlan(spec: spec, rootfsSymlinks: hostView ? host.rootSymlinks : [:], ownsRootfs: hostView, runtime: runtime,
                          etcView: etcView)
    }

    /// Where a Kata container's `/etc` comes from when files must be generated into it (see `EtcView`).
    public static let etcSourceMount = "/.kyr-etc"

    /// Kata only, and only when a file is generated into `/etc` (routed: `hosts`).
    static func etcView(config: KataSection, host: HostFacts, hostView: Bool, rootPath: String, runtime: String,
                        bundleDirectory: AbsolutePath) throws(RuntimeError) -> EtcView? {
        guard runtime == "kata", let network = host.network else { return nil }
        let etc = try AbsolutePath("/etc")
        var source: AbsolutePath?
        if hostView {
            if config.hostDirectories.contains(etc.value) && host.existingPaths.contains(etc) { source = etc }
        } else {
            source = try AbsolutePath(rootPath, code: .invalidConfigFile).appending("etc")
        }
        return EtcView(source: source, sourceMount: etcSourceMount, directory: try bundleDirectory.appending("etc"),
                       files: ["hosts": network.hostsFile])
    }

    /// Options for kyr-init before the program. `kata`: `--nproc=<pids.limit>`, an RLIMIT_NPROC cap, since Kata drops
    /// `linux.resources.pids` from the spec it sends to the agent (Kata 3.32 src/runtime/virtcontainers/kata_agent.go,
    /// constrainGRPCSpec) and the guest runs nothing else as the container's user. Not for runc/runsc: there the
    /// pids cgroup applies, and RLIMIT_NPROC would count every process of that uid on the host.
    static func initArguments(config: KataSection, runtime: String) -> [String] {
        runtime == "kata" ? ["--nproc=\(config.pidsLimit)"] : []
    }

    /// Kata shares each bind's source with a plain MS_BIND, no MS_REC (Kata 3.32
    /// src/runtime/virtcontainers/mount_linux.go, bindMount), so mounts below a bound host directory would be
    /// empty directories in the guest. Each one becomes a bind of its own, right after its parent, with the
    /// parent's options, at the same place below the parent's destination (deepest last, so parents come first).
    static func withSubmounts(_ mounts: [Spec.Mount], hostMountPoints: [AbsolutePath]) -> [Spec.Mount] {
        var result: [Spec.Mount] = []
        for mount in mounts {
            result.append(mount)
            guard mount.type == "bind", mount.source.hasPrefix("/") else { continue }
            let prefix = mount.source == "/" ? "/" : mount.source + "/"
            let below = Set(hostMountPoints.map(\.value).filter { $0.hasPrefix(prefix) && $0 != mount.source })
            for point in below.sorted(by: { ($0.split(separator: "/").count, $0) < ($1.split(separator: "/").count, $1) }) {
                let relative = String(point.dropFirst(prefix.count))
                let destination = mount.destination == "/" ? "/" + relative : mount.destination + "/" + relative
                result.append(.init(destination: destination, type: "bind", source: point, options: mount.options))
            }
        }
        return result
    }

    /// Binds whose source is a file (per `isFile`) placed beneath an earlier read-only bind of a directory.
    public static func fileBindsBeneathReadOnlyBinds(_ mounts: [Spec.Mount], isFile: (Spec.Mount) -> Bool)
        -> [(file: String, directory: String)] {
        var found: [(file: String, directory: String)] = []
        for (index, mount) in mounts.enumerated() where mount.type == "bind" && isFile(mount) {
            for earlier in mounts[..<index] where earlier.type == "bind" && earlier.options.contains("ro") && !isFile(earlier) {
                let prefix = earlier.destination.hasSuffix("/") ? earlier.destination : earlier.destination + "/"
                if mount.destination.hasPrefix(prefix) { found.append((mount.destination, earlier.destination)) }
            }
        }
        return found
    }

    static let maskedPaths = [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/sched_debug",
        "/proc/scsi", "/proc/timer_list", "/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
    ]
    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    static func environment(_ request: LaunchRequest, runtime: String) -> [String] {
        [
            "PATH=\(path)",
            "USER=\(request.users.runAsUser.value)",
            "LOGNAME=\(request.users.runAsUser.value)",
            "HOME=\(request.workDirectory.value)",
            "CONTAINER_ID=\(request.containerId.value)",
            "KATA_YARN_RUNTIME=\(runtime)",
        ]
    }

    /// Routed containers are named after the container (the name YARN records with the address); otherwise
    /// `[kata] hostname` decides.
    static func hostname(_ request: LaunchRequest, config: KataSection, host: HostFacts) -> String {
        if let network = host.network { return network.hostname }
        if config.hostname == "host" { return host.nodename }
        return containerHostname(request.containerId)
    }

    /// container_e17_1795555676958_0001_01_000002 → c-1795555676958-0001-01-000002 (≤ 63 chars, DNS-safe).
    public static func containerHostname(_ id: ContainerId) -> String {
        let digits = id.value.split(separator: "_").dropFirst().filter { !$0.hasPrefix("e") }
        return String(("c-" + digits.joined(separator: "-")).prefix(63))
    }

    static func mounts(_ request: LaunchRequest, config: KataSection, host: HostFacts, hostView: Bool,
                       memoryMiB: UInt64, runtime: String, etcView: EtcView?) throws(RuntimeError) -> [Spec.Mount] {
        let shmMiB = min(memoryMiB / 2, 512)
        var list: [Spec.Mount] = [
            .init(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            .init(destination: "/dev/pts", type: "devpts", source: "devpts",
                  options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]),
            .init(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=\(shmMiB)m"]),
            .init(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
        ]
        if hostView {
            for dir in config.hostDirectories {
                let path = try AbsolutePath(dir, code: .invalidConfigFile)
                guard host.existingPaths.contains(path) else { continue }
                if let etcView, path.value == "/etc" { continue }   // bound below, with the view
                list.append(readOnlyBind(path))
            }
        }
        if let etcView {
            if let source = etcView.source {
                list.append(.init(destination: etcView.sourceMount, type: "bind", source: source.value, options: ["rbind", "ro", "nosuid", "nodev", "rprivate"]))
            }
            list.append(.init(destination: "/etc", type: "bind", source: etcView.directory.value, options: ["bind", "ro", "nosuid", "nodev", "rprivate"]))
        }
        for tmp in ["/tmp", "/var/tmp"] {
            list.append(.init(destination: tmp, type: "tmpfs", source: "tmpfs",
                              options: ["nosuid", "nodev", "mode=1777", "size=\(config.tmpSizeMiB)m"]))
        }
        for extra in config.readOnlyMounts {
            let path = try AbsolutePath(extra, code: .invalidConfigFile)
            if host.existingPaths.contains(path) { list.append(readOnlyBind(path)) }
        }
        let writable = config.readWriteMounts(for: request.users.runAsUser.value)
        for shared in writable.shared + writable.own {   // the launcher checked that each own one is the user's
            let path = try AbsolutePath(shared, code: .invalidConfigFile)
            if host.existingPaths.contains(path) { list.append(readWriteBind(path)) }
        }
        let user = request.users.yarnUser.value
        for local in request.localDirectories {
            let userDir = try local.appending("usercache").appending(user)
            list.append(readWriteBind(try userDir.appending("appcache").appending(request.applicationId.value)))
            for cache in [try userDir.appending("filecache"), try local.appending("filecache")] where host.existingPaths.contains(cache) {
                list.append(readOnlyBind(cache))
            }
        }
        for log in request.containerLogDirectories { list.append(readWriteBind(log)) }
        for extra in request.extraMounts {
            let options = ["rbind", extra.readOnly ? "ro" : "rw", "nosuid", "nodev", "rprivate"]
            list.append(.init(destination: extra.destination.value, type: "bind", source: extra.source.value, options: options))
        }
        if let network = host.network, etcView == nil {   // over the read-only /etc of the host view: the container's own name
            list.append(.init(destination: "/etc/hosts", type: "bind", source: network.hostsFile.value, options: ["bind", "ro", "nosuid", "nodev", "noexec"]))
        }
        list.append(.init(destination: initPath, type: "bind", source: host.initBinary.value, options: ["bind", "ro", "nodev", "nosuid"]))
        if let compat = host.compatLibrary, runtime == "runsc" {
            list.append(.init(destination: compatPath, type: "bind", source: compat.value, options: ["bind", "ro", "nodev", "nosuid"]))
        }
        if let share = host.network?.sharePreload {
            list.append(.init(destination: sharePath, type: "bind", source: share.library.value, options: ["bind", "ro", "nodev", "nosuid"]))
        }
        return list
    }

    static func readOnlyBind(_ path: AbsolutePath) -> Spec.Mount {
        .init(destination: path.value, type: "bind", source: path.value, options: ["rbind", "ro", "nosuid", "nodev", "rprivate"])
    }

    static func readWriteBind(_ path: AbsolutePath) -> Spec.Mount {
        .init(destination: path.value, type: "bind", source: path.value, options: ["rbind", "rw", "nosuid", "nodev", "rprivate"])
    }

    /// The Kata hypervisor annotations every bundle sets: `enable_annotations` must enable each (`--checksetup`).
    public static let kataHypervisorAnnotations = [KataAnnotation.defaultVCPUs, KataAnnotation.defaultMemoryMiB,
                                                   KataAnnotation.sharedFS, KataAnnotation.virtioFSCache]

    static func annotations(_ request: LaunchRequest, config: KataSection, runtime: String, vcores: UInt32,
                            memoryMiB: UInt64) -> [String: String] {
        [
            KataAnnotation.defaultVCPUs: String(vcores),
            KataAnnotation.defaultMemoryMiB: String(memoryMiB + config.vmMemoryOverheadMiB),
            KataAnnotation.sharedFS: config.sharedFilesystem,
            KataAnnotation.virtioFSCache: config.virtioFSCache,
            KataAnnotation.containerType: "sandbox",
            KataAnnotation.sandboxID: request.containerId.value,
            YarnAnnotation.containerID: request.containerId.value,
            YarnAnnotation.applicationID: request.applicationId.value,
            YarnAnnotation.user: request.users.runAsUser.value,
            YarnAnnotation.vcores: String(vcores),
            YarnAnnotation.memoryMiB: String(memoryMiB),
            YarnAnnotation.runtime: runtime,
        ]
    }
}
