import BundleBuilder
import Foundation
import HadoopConfig
import OCISpec
import RuntimeBase
import StrictJSON
import Testing
import YarnContract

/// Golden files for config.json: `make golden-update` (which creates Golden/UPDATE for one run) rewrites them
/// and fails, so a rewrite is never silent. `make check-golden-schema` validates every golden against the installed OCI schema.
@Suite struct GoldenBundleTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func request(vcores: UInt32? = nil, memory: UInt64? = nil) throws -> LaunchRequest {
        let app = "application_1795555676958_0001", cid = "container_1795555676958_0001_01_000002"
        let priv = "/data/yarn/local/nmPrivate/\(app)/\(cid)"
        return LaunchRequest(
            users: UserPair(runAsUser: try UserName("alice"), yarnUser: try UserName("alice")),
            applicationId: try ApplicationId(app), containerId: try ContainerId(cid),
            workDirectory: try AbsolutePath("/data/yarn/local/usercache/alice/appcache/\(app)/\(cid)"),
            scriptFile: try AbsolutePath("\(priv)/launch_container.sh"), tokensFile: try AbsolutePath("\(priv)/\(cid).tokens"),
            pidFile: try AbsolutePath("\(priv)/\(cid).pid"),
            localDirectories: [try AbsolutePath("/data/yarn/local")], logDirectories: [try AbsolutePath("/data/yarn/logs")],
            vcores: vcores, memoryMiB: memory)
    }

    static func facts() throws -> HostFacts {
        HostFacts(runAsUser: .init(uid: 2001, gid: 2001, groups: [2001, 1001]), nmGroupId: 1001, nodename: "worker-7",
                  rootSymlinks: ["bin": "usr/bin", "lib": "usr/lib", "lib64": "usr/lib64", "sbin": "usr/sbin"],
                  existingPaths: [try AbsolutePath("/usr"), try AbsolutePath("/etc"), try AbsolutePath("/data/yarn/local/filecache")],
                  initBinary: try AbsolutePath("/usr/local/libexec/kata-yarn-runtime/kyr-init"),
                  compatLibrary: try AbsolutePath("/usr/local/libexec/kata-yarn-runtime/kyr-compat.so"))
    }

    static func plan(_ runtime: String, config: KataSection = KataSection(), vcores: UInt32? = nil, memory: UInt64? = nil) throws -> String {
        let bundle = try AbsolutePath("/run/kata-yarn-runtime/containers/container_1795555676958_0001_01_000002/bundle")
        return try BundlePlanner.plan(try request(vcores: vcores, memory: memory), config: config, host: try facts(),
                                      runtime: runtime, bundleDirectory: bundle).spec.encoded()
    }

    static func check(_ name: String, _ actual: String) throws {
        let file = golden.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: golden.appendingPathComponent("UPDATE").path) {
            try actual.write(to: file, atomically: true, encoding: .utf8)
            Issue.record("rewrote golden \(name)")
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(actual == expected, "config.json differs from Golden/\(name); run make golden-update and review the diff")
    }

    @Test("Golden: runc bundle with default resources")
    func runcDefault() throws { try Self.check("runc-default.config.json", try Self.plan("runc")) }

    @Test("Golden: runsc bundle preloads the statx compatibility library")
    func runscDefault() throws { try Self.check("runsc-default.config.json", try Self.plan("runsc")) }

    @Test("Golden: kata bundle sized from YARN resources, container hostname, image rootfs")
    func kataSized() throws {
        var config = KataSection()
        config.hostname = "container"
        config.rootfs = "/srv/images/yarn-base"
        config.vmMemoryOverheadMiB = 192
        try Self.check("kata-4vcores-4096mb.config.json", try Self.plan("kata", config: config, vcores: 4, memory: 4096))
    }

    @Test("planning is deterministic")
    func deterministic() throws {
        #expect(try Self.plan("runc") == Self.plan("runc"))
    }

    @Test("VM size and limits follow YARN resources")
    func resources() throws {
        let json = try JSONParser().parse(try Self.plan("kata", vcores: 3, memory: 2048))
        #expect(json["annotations"]?[KataAnnotation.defaultVCPUs]?.stringValue == "3")
        #expect(json["annotations"]?[KataAnnotation.defaultMemoryMiB]?.stringValue == "2304")
        #expect(json["linux"]?["resources"]?["memory"]?["limit"]?.int64Value == Int64(2048) * 1024 * 1024)
        #expect(json["linux"]?["resources"]?["cpu"]?["quota"]?.int64Value == 300_000)
    }

    @Test("cpu.strict=false: CPU shares by vcores, no quota (YARN's default without strict-resource-usage)")
    func sharesOnly() throws {
        var config = try ExecutorConfig(parsing: "yarn.nodemanager.linux-container-executor.group=hadoop\n[kata]\n  cpu.strict=false\n").kata
        #expect(!config.cpuStrict)
        let cpu = try JSONParser().parse(try Self.plan("runc", config: config, vcores: 3, memory: 2048))["linux"]?["resources"]?["cpu"]
        #expect(cpu?["shares"]?.int64Value == 3072 && cpu?["quota"] == nil && cpu?["period"] == nil)
        config.cpuStrict = true
        #expect(try JSONParser().parse(try Self.plan("runc", config: config, vcores: 3))["linux"]?["resources"]?["cpu"]?["quota"]?.int64Value == 300_000)
        #expect(throws: RuntimeError.self) { try ExecutorConfig(parsing: "yarn.nodemanager.linux-container-executor.group=hadoop\n[kata]\n  cpu.strict=yes\n") }
    }

    @Test("only YARN's own directories are writable; host directories are read-only")
    func mountModes() throws {
        let json = try JSONParser().parse(try Self.plan("runc"))
        for mount in json["mounts"]?.arrayValue ?? [] where mount["type"]?.stringValue == "bind" {
            let destination = mount["destination"]?.stringValue ?? ""
            let writable = mount["options"]?.arrayValue?.contains(.string("rw")) == true
            let yarnOwned = destination.hasPrefix("/data/yarn/local/usercache/alice/appcache/") || destination.hasPrefix("/data/yarn/logs/")
            #expect(writable == yarnOwned, "\(destination)")
        }
        #expect(json["process"]?["noNewPrivileges"]?.boolValue == true)
        #expect(json["process"]?["capabilities"]?["bounding"]?.arrayValue == [])
        #expect(json["root"]?["readonly"]?.boolValue == true)
    }
}

/// Kata's agent opens every file bind's target O_WRONLY|O_CREAT|O_TRUNC before mounting it (Kata 3.32
/// src/agent/rustjail/src/mount.rs, mount_from): beneath an already read-only bind that is EROFS.
@Suite struct KataBundleTests {
    static let hosts = "/run/kata-yarn-runtime/containers/container_1795555676958_0001_01_000002/net/hosts"
    static let bundle = "/run/kata-yarn-runtime/containers/container_1795555676958_0001_01_000002/bundle"

    static func plan(_ runtime: String, mode: String, image: Bool = false, facts: HostFacts? = nil) throws -> BundlePlan {
        var config = KataSection()
        if image { config.rootfs = "/srv/images/yarn-base" }
        var host = try facts ?? GoldenBundleTests.facts()
        if mode == "routed", host.network == nil {
            host.network = NetworkAttachment(namespacePath: try AbsolutePath("/run/netns/kyr-c1"), hostsFile: try AbsolutePath(hosts), hostname: "c-1")
        }
        return try BundlePlanner.plan(try GoldenBundleTests.request(), config: config, host: host, runtime: runtime,
                                      bundleDirectory: try AbsolutePath(bundle), network: NetworkMode(rawValue: mode)!)
    }

    @Test("a share for an own-stack sandbox: kyr-share.so mounted read-only, preloaded before kyr-compat.so, KYR_SHARE set",
          arguments: ["kata", "runsc", "runc"])
    func sharePreload(_ runtime: String) throws {
        var host = try GoldenBundleTests.facts()
        host.compatLibrary = try AbsolutePath("/usr/local/libexec/kata-yarn-runtime/kyr-compat.so")
        host.network = NetworkAttachment(namespacePath: try AbsolutePath("/run/netns/kyr-c1"), hostsFile: try AbsolutePath(Self.hosts), hostname: "c-1")
        host.network?.sharePreload = .init(library: try AbsolutePath("/usr/local/libexec/kata-yarn-runtime/kyr-share.so"),
                                           value: "10.200.0.1,10.244.1.2,61008-61015")
        let plan = try Self.plan(runtime, mode: "routed", facts: host)
        let json = plan.spec.json
        let env = (json["process"]?["env"]?.arrayValue ?? []).compactMap(\.stringValue)
        let preload = runtime == "runsc" ? "/dev/.kyr-share.so /dev/.kyr-compat.so" : "/dev/.kyr-share.so"
        #expect(env.filter { $0.hasPrefix("LD_PRELOAD=") } == ["LD_PRELOAD=\(preload)"])
        #expect(env.contains("KYR_SHARE=10.200.0.1,10.244.1.2,61008-61015"))
        let mount = (json["mounts"]?.arrayValue ?? []).first { $0["destination"]?.stringValue == "/dev/.kyr-share.so" }
        #expect(mount?["source"]?.stringValue == "/usr/local/libexec/kata-yarn-runtime/kyr-share.so")
        #expect(mount?["options"]?.arrayValue?.compactMap(\.stringValue) == ["bind", "ro", "nodev", "nosuid"])
        // Without a share nothing of it appears.
        host.network?.sharePreload = nil
        let plain = try Self.plan(runtime, mode: "routed", facts: host).spec.json
        #expect(!((plain["process"]?["env"]?.arrayValue ?? []).compactMap(\.stringValue).contains { $0.hasPrefix("KYR_SHARE=") }))
    }

    /// Written here, not borrowed from the planner: (file bind, read-only directory bind above it) pairs.
    static func fileBindsUnderReadOnly(_ mounts: [Spec.Mount], files: Set<String>) -> [String] {
        var clashes: [String] = []
        for (i, file) in mounts.enumerated() where file.type == "bind" && files.contains(file.source) {
            for dir in mounts[..<i] where dir.type == "bind" && !files.contains(dir.source) && dir.options.contains("ro")
                && (file.destination + "/").hasPrefix(dir.destination + "/") && file.destination != dir.destination {
                clashes.append("\(file.destination) under \(dir.destination)")
            }
        }
        return clashes
    }

    @Test("kata, every network mode, host view and image: no file bind beneath a read-only directory bind", arguments: ["host", "none", "routed"])
    func noFileBindUnderReadOnly(mode: String) throws {
        let facts = try GoldenBundleTests.facts()
        let files: Set<String> = [facts.initBinary.value, facts.compatLibrary!.value, Self.hosts]
        for image in [false, true] {
            let plan = try Self.plan("kata", mode: mode, image: image)
            #expect(Self.fileBindsUnderReadOnly(plan.spec.mounts, files: files) == [], "mode \(mode), image \(image)")
            #expect(!plan.spec.mounts.contains { $0.destination == "/etc/hosts" })
        }
        // The same check catches runc's routed bundle, which keeps its file bind (runc only creates a missing target).
        let runc = try Self.plan("runc", mode: "routed")
        #expect(Self.fileBindsUnderReadOnly(runc.spec.mounts, files: files) == ["/etc/hosts under /etc"])
        #expect(runc.etcView == nil)
    }

    @Test("kata routed: /etc is the container's own directory with the generated hosts; the real /etc is at /.kyr-etc")
    func etcView() throws {
        let plan = try Self.plan("kata", mode: "routed")
        let view = try #require(plan.etcView)
        #expect(view.files == ["hosts": try AbsolutePath(Self.hosts)])
        #expect(view.directory.value == Self.bundle + "/etc" && view.source?.value == "/etc" && view.sourceMount == "/.kyr-etc")
        let etc = plan.spec.mounts.filter { $0.destination == "/etc" }
        #expect(etc.count == 1 && etc.first?.source == Self.bundle + "/etc" && etc.first?.options.contains("ro") == true)
        let real = plan.spec.mounts.filter { $0.destination == "/.kyr-etc" }
        #expect(real.count == 1 && real.first?.source == "/etc" && real.first?.options.contains("ro") == true)
        let image = try #require(try Self.plan("kata", mode: "routed", image: true).etcView)
        #expect(image.source?.value == "/srv/images/yarn-base/etc")
        #expect(try Self.plan("kata", mode: "none").etcView == nil, "no generated file: /etc stays the host's")
    }

    @Test("kata refuses a configured file mount beneath a read-only host directory; runc keeps it")
    func configuredFileUnderReadOnly() throws {
        var facts = try GoldenBundleTests.facts()
        let krb = try AbsolutePath("/etc/krb5.conf")
        facts.existingPaths.insert(krb)
        facts.regularFiles = [krb]
        var config = KataSection()
        config.readOnlyMounts = [krb.value]
        #expect {
            try BundlePlanner.plan(try GoldenBundleTests.request(), config: config, host: facts, runtime: "kata", bundleDirectory: try AbsolutePath(Self.bundle))
        } throws: { ($0 as? RuntimeError)?.code == .runcSetupFailed && "\($0)".contains("/etc/krb5.conf is a file bound beneath the read-only bind /etc") }
        #expect(throws: Never.self) {
            try BundlePlanner.plan(try GoldenBundleTests.request(), config: config, host: facts, runtime: "runc", bundleDirectory: try AbsolutePath(Self.bundle))
        }
    }

    @Test("kata: host directories with mounts below them get one bind per submount (Kata binds without MS_REC); runc does not")
    func submounts() throws {
        var facts = try GoldenBundleTests.facts()
        facts.hostMountPoints = ["/", "/usr", "/usr/share/big", "/usr/share/big/inner", "/etc/ssl/private", "/data/yarn/local", "/proc"]
            .map { try! AbsolutePath($0) }
        let plan = try Self.plan("kata", mode: "routed", facts: facts)
        let binds = plan.spec.mounts.filter { $0.type == "bind" }.map { "\($0.destination)<-\($0.source)" }
        let usr = try #require(binds.firstIndex(of: "/usr<-/usr"))
        #expect(Array(binds[usr...].prefix(3)) == ["/usr<-/usr", "/usr/share/big<-/usr/share/big", "/usr/share/big/inner<-/usr/share/big/inner"])
        #expect(binds.contains("/.kyr-etc/ssl/private<-/etc/ssl/private"), "below the real /etc, at its place in the container")
        let big = try #require(plan.spec.mounts.first { $0.destination == "/usr/share/big" })
        #expect(big.options == ["rbind", "ro", "nosuid", "nodev", "rprivate"])
        let runc = try Self.plan("runc", mode: "routed", facts: facts)
        #expect(!runc.spec.mounts.contains { $0.destination == "/usr/share/big" })
    }

    @Test("kyr-init gets --nproc=<pids.limit> under kata only (Kata drops the spec's pids limit)")
    func initArguments() throws {
        var config = KataSection()
        config.pidsLimit = 777
        let kata = try BundlePlanner.plan(try GoldenBundleTests.request(), config: config, host: try GoldenBundleTests.facts(), runtime: "kata",
                                          bundleDirectory: try AbsolutePath(Self.bundle))
        #expect(Array(kata.spec.process.args.prefix(2)) == [BundlePlanner.initPath, "--nproc=777"])
        for runtime in ["runc", "runsc", "shim:runc"] {
            let plan = try BundlePlanner.plan(try GoldenBundleTests.request(), config: config, host: try GoldenBundleTests.facts(), runtime: runtime,
                                              bundleDirectory: try AbsolutePath(Self.bundle))
            #expect(plan.spec.process.args[1] == "/bin/bash", "\(runtime)")
        }
    }
}

@Suite struct LayoutPlannerTests {
    @Test("Hadoop's directories and modes")
    func layout() throws {
        let plan = try LayoutPlanner.plan(try GoldenBundleTests.request())
        let modes = Dictionary(plan.directories.map { ($0.path.value, $0.mode) }, uniquingKeysWith: { a, _ in a })
        #expect(modes["/data/yarn/local/usercache/alice"] == 0o2750)
        #expect(modes["/data/yarn/local/usercache/alice/appcache/application_1795555676958_0001/container_1795555676958_0001_01_000002"] == 0o2710)
        #expect(modes["/data/yarn/logs/application_1795555676958_0001/container_1795555676958_0001_01_000002"] == 0o2750)
        #expect(plan.copies.map(\.mode) == [0o700, 0o600])
    }

    @Test("a work dir outside the local dirs is refused")
    func workDirOutside() throws {
        var request = try GoldenBundleTests.request()
        request.workDirectory = try AbsolutePath("/etc/cron.d")
        #expect(throws: RuntimeError.self) { try LayoutPlanner.plan(request) }
    }
}
