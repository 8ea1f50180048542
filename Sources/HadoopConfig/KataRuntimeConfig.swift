import RuntimeBase

/// The keys of Kata's `configuration.toml` that decide whether a YARN container's VM can start and keeps
/// YARN's contract, read with `TOMLDocument` (Kata 3.32 src/runtime/pkg/katautils/config.go: `hypervisor` and
/// `runtime` tables; a key absent from the file is Go's zero value).
public struct KataRuntimeConfig: Sendable, Equatable {
    /// Where Kata looks when neither `KATA_CONF_FILE` nor an annotation names a file (config.go,
    /// GetDefaultConfigFilePaths: the sysconf path, then the build's default; the static tarball's is under /opt/kata).
    public static let defaultPaths = ["/etc/kata-containers/configuration.toml",
                                      "/usr/share/defaults/kata-containers/configuration.toml",
                                      "/opt/kata/share/defaults/kata-containers/configuration.toml"]
    public static let hypervisorAnnotationPrefix = "io.katacontainers.config.hypervisor."

    public var path: String
    /// `qemu`, `clh`, `firecracker`, `dragonball`, … (the one `[hypervisor.<name>]` table).
    public var hypervisor: String
    public var enableAnnotations: [String]
    /// 0: all host memory; above host memory: host memory (config.go, defaultMaxMemSz).
    public var defaultMaxMemoryMiB: Int64
    /// 0: all host CPUs (config.go, defaultMaxVCPUs).
    public var defaultMaxVCPUs: Int64
    public var staticSandboxResourceManagement: Bool
    public var disableGuestSeccomp: Bool

    public init(document: TOMLDocument, path: String) throws(RuntimeError) {
        self.path = path
        let hypervisors = document.tables.keys.filter { $0.hasPrefix("hypervisor.") }.sorted()
        guard hypervisors.count == 1, let table = hypervisors.first else {
            throw RuntimeError(.invalidConfigFile, "\(path): expected exactly one [hypervisor.<name>] table, found \(hypervisors.count)")
        }
        hypervisor = String(table.dropFirst("hypervisor.".count))
        func typed<T>(_ key: String, _ table: String, _ kind: String, _ read: (TOMLValue) -> T?, _ fallback: T) throws(RuntimeError) -> T {
            guard let value = document.value(key, in: table) else { return fallback }
            guard let typed = read(value) else { throw RuntimeError(.invalidConfigFile, "\(path): [\(table)] \(key) must be \(kind)") }
            return typed
        }
        enableAnnotations = try typed("enable_annotations", table, "an array of strings",
                                      { $0.arrayValue.flatMap { items in items.compactMap(\.stringValue).count == items.count ? items.compactMap(\.stringValue) : nil } }, [])
        defaultMaxMemoryMiB = try typed("default_maxmemory", table, "an integer", \.integerValue, 0)
        defaultMaxVCPUs = try typed("default_maxvcpus", table, "an integer", \.integerValue, 0)
        staticSandboxResourceManagement = try typed("static_sandbox_resource_mgmt", "runtime", "true or false", \.boolValue, false)
        disableGuestSeccomp = try typed("disable_guest_seccomp", "runtime", "true or false", \.boolValue, false)
    }

    public init(parsing text: String, path: String) throws(RuntimeError) {
        try self.init(document: try TOMLDocument(parsing: text, origin: path), path: path)
    }

    /// Is this `io.katacontainers.config.hypervisor.*` annotation enabled? Kata matches each `enable_annotations`
    /// entry as an unanchored regular expression against the name without the prefix, and an entry that does not
    /// compile matches nothing (Kata 3.32 src/runtime/pkg/oci/utils.go, regexpContains / checkAnnotationNameIsValid;
    /// addAnnotations refuses the bundle with "annotation … is not enabled").
    public func enables(annotation key: String) -> Bool {
        guard key.hasPrefix(Self.hypervisorAnnotationPrefix) else { return true }
        let name = String(key.dropFirst(Self.hypervisorAnnotationPrefix.count))
        return enableAnnotations.contains { pattern in
            guard let regex = try? Regex(pattern) else { return false }
            return name.contains(regex)
        }
    }
}

/// What a node (at `--checksetup`) or one container (at launch) needs from Kata and the host.
public struct KataNeeds: Sendable, Equatable {
    /// Annotation keys the bundle sets.
    public var annotations: [String]
    /// The largest VM: container memory + `[kata] vm.memory-overhead-mb`, and its vCPUs.
    public var vmMemoryMiB: UInt64
    public var vcpus: UInt32
    /// The bundle carries a `linux.seccomp` profile (ours always does).
    public var seccomp: Bool
    public var hostCPUs: Int
    public var hostMemoryMiB: UInt64
    /// Device path → present on the host.
    public var devices: [String: Bool]

    public init(annotations: [String], vmMemoryMiB: UInt64, vcpus: UInt32, seccomp: Bool, hostCPUs: Int, hostMemoryMiB: UInt64,
                devices: [String: Bool]) {
        self.annotations = annotations; self.vmMemoryMiB = vmMemoryMiB; self.vcpus = vcpus; self.seccomp = seccomp
        self.hostCPUs = hostCPUs; self.hostMemoryMiB = hostMemoryMiB; self.devices = devices
    }

    /// The devices Kata needs for a hypervisor: KVM always; vhost-vsock for the agent's channel except for the
    /// hypervisors that use a hybrid vsock through a unix socket (firecracker, clh, dragonball).
    public static func devices(for hypervisor: String) -> [String] {
        ["firecracker", "clh", "dragonball"].contains(hypervisor) ? ["/dev/kvm"] : ["/dev/kvm", "/dev/vhost-vsock"]
    }
}

public enum KataPreflight {
    /// Every reason this configuration and host cannot run the VM described by `needs`, one sentence each; empty: fine.
    public static func problems(_ config: KataRuntimeConfig, _ needs: KataNeeds) -> [String] {
        var problems: [String] = []
        let disabled = needs.annotations.filter { !config.enables(annotation: $0) }.sorted()
        if !disabled.isEmpty {
            let names = disabled.map { String($0.dropFirst(KataRuntimeConfig.hypervisorAnnotationPrefix.count)) }
            problems.append("\(config.path): enable_annotations does not enable \(names.joined(separator: ", ")) (Kata refuses the bundle: \"annotation … is not enabled\")")
        }
        if !config.staticSandboxResourceManagement {
            problems.append("\(config.path): [runtime] static_sandbox_resource_mgmt is not true (Kata would hot-add the container's memory limit on top of the VM size: about twice the YARN allocation)")
        }
        let maxMemory = config.defaultMaxMemoryMiB <= 0 || UInt64(config.defaultMaxMemoryMiB) > needs.hostMemoryMiB
            ? needs.hostMemoryMiB : UInt64(config.defaultMaxMemoryMiB)
        if needs.vmMemoryMiB > maxMemory {
            problems.append("\(config.path): a \(needs.vmMemoryMiB) MiB VM (container + vm.memory-overhead-mb) exceeds default_maxmemory (\(maxMemory) MiB effective); raise default_maxmemory to at least \(needs.vmMemoryMiB) or 0 (host memory)")
        }
        if Int(needs.vcpus) > needs.hostCPUs {
            problems.append("\(needs.vcpus) vCPUs exceed this host's \(needs.hostCPUs) CPUs (Kata cannot size the VM; lower the container's vcores or [kata] default.vcores)")
        }
        if needs.seccomp && config.disableGuestSeccomp {
            problems.append("\(config.path): [runtime] disable_guest_seccomp is true, so the guest would drop the container's seccomp profile; set it to false")
        }
        for device in KataNeeds.devices(for: config.hypervisor) where needs.devices[device] != true {
            problems.append("\(device) is missing: this host cannot run \(config.hypervisor) Kata VMs")
        }
        return problems
    }
}
