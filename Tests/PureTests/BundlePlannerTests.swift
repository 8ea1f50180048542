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
