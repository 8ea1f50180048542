import HadoopConfig
import LinuxSystem
import RuntimeBase
import RuntimeCore
import SystemFake
import YarnContract

/// A NodeManager node in a `RecordingSystem`: yarn (990) in hadoop (990) runs the NM; alice (1001) and bob (1002)
/// are tenants outside that group; roots under /nm as Hadoop's docs lay them out; the binary under /opt/hadoop.
struct FakeNode {
    static let yarn: UInt32 = 990, hadoop: UInt32 = 990, alice: UInt32 = 1001, bob: UInt32 = 1002
    static let app = "application_1795555676958_0001"
    static let cid = "container_1795555676958_0001_01_000002"
    static let local = "/nm/local", logs = "/nm/logs", state = "/var/lib/kyr/state"

    let system = RecordingSystem()
    let driver: RecordingDriver
    let context: RuntimeContext

    init() throws {
        system.addUser("alice", uid: Self.alice, gid: Self.alice)
        system.addUser("bob", uid: Self.bob, gid: Self.bob)
        system.groups["hadoop"] = Self.hadoop
        for dir in ["/nm", Self.local, "\(Self.local)/usercache", "\(Self.local)/filecache", Self.logs] {
            system.addDirectory(dir, uid: Self.yarn, gid: Self.hadoop, mode: 0o755)
        }
        system.addDirectory("\(Self.local)/nmPrivate", uid: Self.yarn, gid: Self.hadoop, mode: 0o700)
        let privateDir = "\(Self.local)/nmPrivate/\(Self.app)/\(Self.cid)"
        for dir in ["\(Self.local)/nmPrivate/\(Self.app)", privateDir] {
            system.addDirectory(dir, uid: Self.yarn, gid: Self.hadoop, mode: 0o755)
        }
        system.addFile("\(privateDir)/launch_container.sh", "#!/bin/bash\ntrue\n", uid: Self.yarn, gid: Self.hadoop, mode: 0o644)
        system.addFile("\(privateDir)/\(Self.cid).tokens", "HDTS", uid: Self.yarn, gid: Self.hadoop, mode: 0o644)
        for dir in ["/opt", "/opt/hadoop", "/opt/hadoop/libexec", "/opt/hadoop/libexec/kata-yarn-runtime", "/var", "/var/lib", "/var/lib/kyr",
                    "/home", "/etc"] {
            system.addDirectory(dir, uid: 0, gid: 0, mode: 0o755)
        }
        system.addFile("/opt/hadoop/libexec/kata-yarn-runtime/kyr-init", "ELF", uid: 0, gid: 0, mode: 0o755)
        let config = try ExecutorConfig(parsing: """
        yarn.nodemanager.linux-container-executor.group=hadoop
        banned.users=hdfs,yarn,mapred,bin
        min.user.id=1000
        feature.yarn.sysfs.enabled=true
        [kata]
          runtime.default=runc
          runtime.allowed=runc,runsc
          state-root=\(Self.state)
        """)
        let driver = RecordingDriver(system: system)
        self.driver = driver
        context = RuntimeContext(system: system, config: config, configPath: "/opt/hadoop/etc/hadoop/container-executor.cfg",
                                 nodeManagerUID: Self.yarn, nodeManagerGID: Self.hadoop,
                                 executablePath: "/opt/hadoop/bin/kata-yarn-runtime", driverOverride: { _ in driver })
    }

    var pidFile: String { "\(Self.local)/nmPrivate/\(Self.app)/\(Self.cid)/\(Self.cid).pid" }
    var workDir: String { "\(Self.local)/usercache/alice/appcache/\(Self.app)/\(Self.cid)" }

    func launchRequest(local: String = FakeNode.local, logs: String = FakeNode.logs) throws -> LaunchRequest {
        let privateDir = "\(Self.local)/nmPrivate/\(Self.app)/\(Self.cid)"
        let request = try ArgvDecoder.decode([
            "kata-yarn-runtime", "alice", "alice", "1", Self.app, Self.cid,
            "\(local)/usercache/alice/appcache/\(Self.app)/\(Self.cid)", "\(privateDir)/launch_container.sh",
            "\(privateDir)/\(Self.cid).tokens", "--http", pidFile, local, logs, "cgroups=none",
        ])
        guard case .launchContainer(let launch) = request else { throw RuntimeError(.generalFailure, "not a launch") }
        return launch
    }

    var users: UserPair { get throws { UserPair(runAsUser: try UserName("alice"), yarnUser: try UserName("alice")) } }

    /// The events of one kind, as `subject [uid]`.
    func events(_ call: String) -> [RecordingSystem.Event] { system.events.filter { $0.call == call } }

    func position(_ call: String, _ subject: String) throws -> Int {
        guard let index = system.index(of: call, subject) else { throw RuntimeError(.generalFailure, "no \(call) \(subject) in \(system.events)") }
        return index
    }
}
