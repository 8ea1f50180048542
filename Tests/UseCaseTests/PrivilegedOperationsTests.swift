import LinuxSystem
import RuntimeBase
import RuntimeCore
import RuntimeDrivers
import SystemFake
import Testing
import YarnContract

/// Operations 0, 2, 3, 5, 6, `--run-runc-container` and `gc` against the recording system: what each may touch,
/// under which identity, and that a refusal touches nothing.
@Suite struct PrivilegedOperationsTests {
    // MARK: signal (2)

    @Test("pid 1, negative pids and other users' processes answer 9 without any signal being sent",
          arguments: [Int32(1), -1, 0, 300, 301, 999])
    func signalConfined(pid: Int32) throws {
        let node = try FakeNode()
        node.system.processes[300] = (0, 300)              // a root process group
        node.system.processes[301] = (FakeNode.bob, 301)   // another tenant's
        let answer = try SignalContainer(context: node.context).signalPid(users: try node.users, pid: pid, signal: 9)
        #expect(answer == .invalidContainerPid)
        #expect(node.events("signal-as-user").isEmpty && node.events("kill").isEmpty && node.events("driver.kill").isEmpty)
        #expect(node.system.processes[300] != nil && node.system.processes[301] != nil)
    }

    @Test("the user's own process group is signalled by a child that became the user")
    func signalOwnGroup() throws {
        let node = try FakeNode()
        node.system.processes[400] = (FakeNode.alice, 400)
        let answer = try SignalContainer(context: node.context).signalPid(users: try node.users, pid: 400, signal: 15)
        #expect(answer == .success)
        #expect(node.events("signal-as-user").map(\.subject) == ["\(FakeNode.alice) 400 15"])
        #expect(node.events("kill").isEmpty, "never kill(2) from the root launcher")
    }

    @Test("a recorded container is signalled through its runtime, before or after its pid file")
    func signalRecorded() throws {
        let node = try FakeNode()
        _ = try LaunchContainer(context: node.context).run(try node.launchRequest())
        // A fresh record, as a launch that is still running leaves it.
        let store = "\(FakeNode.state)/containers/\(FakeNode.cid)"
        node.system.addDirectory(FakeNode.state, uid: 0, gid: 0, mode: 0o700)
        node.system.addDirectory("\(FakeNode.state)/containers", uid: 0, gid: 0, mode: 0o700)
        node.system.addDirectory(store, uid: 0, gid: 0, mode: 0o700)
        node.system.addFile("\(store)/state.json", """
        {"id":"\(FakeNode.cid)","runtime":"runc","runAsUser":"alice","uid":\(FakeNode.alice),"pid":50000,"launcherPid":4242,\
        "pidFile":"\(node.pidFile)","bundle":"\(store)/bundle","status":"running","startedAtMonotonicNs":1}
        """, uid: 0, gid: 0, mode: 0o600)
        node.system.clearEvents()
        let answer = try SignalContainer(context: node.context).signalPid(users: try node.users, pid: 50000, signal: 15)
        #expect(answer == .success)
        #expect(node.events("driver.kill").map(\.subject) == ["\(FakeNode.cid) 15"])
    }

    // MARK: delete (3) and list (5)

    @Test("delete and list outside the user's part of the roots are refused before any identity change",
          arguments: ["/home/alice/data", "/etc", "/nm/local/usercache", "/nm/local/nmPrivate", "/nm/local/usercache/bob/appcache"])
    func confined(path: String) throws {
        let node = try FakeNode()
        let delete = try captureError { try DeleteAsUser(context: node.context).run(users: try node.users, subdirectory: path, baseDirectories: []) }
        let list = try captureError { try ListAsUser(context: node.context).run(users: try node.users, directory: path) }
        #expect(delete.code == .generalFailure && list.code == .generalFailure)
        #expect(node.events("act-as").isEmpty && node.events("remove-tree").isEmpty && node.events("list").isEmpty)
    }

    @Test("delete inside the user's part runs as the user; a root not owned by the NM is refused")
    func deleteAsUser() throws {
        let node = try FakeNode()
        let app = "\(FakeNode.local)/usercache/alice/appcache/\(FakeNode.app)"
        for dir in ["\(FakeNode.local)/usercache/alice", "\(FakeNode.local)/usercache/alice/appcache", app] {
            node.system.addDirectory(dir, uid: FakeNode.alice, gid: FakeNode.hadoop, mode: 0o2750)
        }
        node.system.addFile("\(app)/out", "x", uid: FakeNode.alice, gid: FakeNode.hadoop, mode: 0o644)
        #expect(try DeleteAsUser(context: node.context).run(users: try node.users, subdirectory: "\(app)/out", baseDirectories: []) == 0)
        #expect(node.events("remove-tree").map(\.uid) == [FakeNode.alice] && node.system.node("\(app)/out") == nil)

        node.system.addDirectory("/fake", uid: 0, gid: 0, mode: 0o755)
        for dir in ["/fake/usercache", "/fake/usercache/alice"] { node.system.addDirectory(dir, uid: FakeNode.alice, gid: FakeNode.alice, mode: 0o755) }
        node.system.clearEvents()
        let error = try captureError { try DeleteAsUser(context: node.context).run(users: try node.users, subdirectory: "/fake/usercache/alice", baseDirectories: []) }
        #expect(error.message.contains("owned by uid 0") && node.events("remove-tree").isEmpty)
    }

    // MARK: initialize (0)

    @Test("initialize for a tenant outside the NM group: Hadoop's owners and modes, setgid kept, localizer as the user")
    func initialize() throws {
        let node = try FakeNode()
        let privateDir = "\(FakeNode.local)/nmPrivate/\(FakeNode.app)/\(FakeNode.cid)"
        let request = try ArgvDecoder.decode(["kata-yarn-runtime", "alice", "alice", "0", FakeNode.app, FakeNode.cid,
                                              "\(privateDir)/\(FakeNode.cid).tokens", FakeNode.local, FakeNode.logs, "/usr/bin/java", "-cp", "x"])
        guard case .initializeContainer(let initialize) = request else { throw RuntimeError(.generalFailure, "not op 0") }
        _ = try InitializeContainer(context: node.context).run(initialize)
        let user = "\(FakeNode.local)/usercache/alice"
        let expected: [(String, UInt32, UInt32)] = [
            (user, FakeNode.hadoop, 0o2750), ("\(user)/appcache", FakeNode.hadoop, 0o2750), ("\(user)/filecache", FakeNode.hadoop, 0o710),
            ("\(user)/appcache/\(FakeNode.app)", FakeNode.hadoop, 0o2750), ("\(FakeNode.logs)/\(FakeNode.app)", FakeNode.hadoop, 0o2750),
        ]
        for (path, gid, mode) in expected {
            let made = try #require(node.system.node(path), "\(path) missing")
            #expect(made.uid == FakeNode.alice && made.gid == gid && made.mode == mode, "\(path): \(made.uid):\(made.gid) \(String(made.mode, radix: 8))")
        }
        #expect(node.events("read").map(\.uid) == [FakeNode.yarn], "the tokens are read as the NM")
        let appcache = try node.position("mkdir", "\(user)/appcache")
        #expect(node.system.events[appcache].uid == FakeNode.alice, "the user's own dirs are made by the user")
        #expect(node.events("spawn").count == 1 && node.events("spawn")[0].subject.hasPrefix("/usr/bin/java"))
    }

    @Test("initialize with a log root the NM does not own touches nothing")
    func initializeRefused() throws {
        let node = try FakeNode()
        node.system.addDirectory("/etc/logs", uid: 0, gid: 0, mode: 0o755)
        let before = node.system.nodes
        let privateDir = "\(FakeNode.local)/nmPrivate/\(FakeNode.app)/\(FakeNode.cid)"
        let request = try ArgvDecoder.decode(["kata-yarn-runtime", "alice", "alice", "0", FakeNode.app, FakeNode.cid,
                                              "\(privateDir)/\(FakeNode.cid).tokens", FakeNode.local, "/etc/logs", "/bin/true"])
        guard case .initializeContainer(let initialize) = request else { throw RuntimeError(.generalFailure, "not op 0") }
        let error = try captureError { try InitializeContainer(context: node.context).run(initialize) }
        #expect(error.code == .couldNotCreateAppLogDirectories)
        #expect(node.system.created(since: before).isEmpty && node.events("spawn").isEmpty)
    }

    // MARK: sync sysfs (6)

    @Test("sysfs sync refuses roots the NM does not own")
    func syncRefused() throws {
        let node = try FakeNode()
        node.system.addDirectory("/etc/local", uid: 0, gid: 0, mode: 0o755)
        let error = try captureError {
            try SyncYarnSysfs(context: node.context).run(users: try node.users, applicationId: try ApplicationId(FakeNode.app),
                                                         localDirectories: [try AbsolutePath("/etc/local")])
        }
        #expect(error.code == .generalFailure && node.events("act-as").isEmpty && node.events("write").isEmpty)
    }

    // MARK: run-runc-container

    @Test("the runc command file is read as the NM, and its roots are checked before anything is staged")
    func runRunc() throws {
        let node = try FakeNode()
        node.system.addDirectory("/etc/evil", uid: 0, gid: 0, mode: 0o755)
        let privateDir = "\(FakeNode.local)/nmPrivate/\(FakeNode.app)/\(FakeNode.cid)"
        let work = "/etc/evil/usercache/alice/appcache/\(FakeNode.app)/\(FakeNode.cid)"
        node.system.addFile("\(privateDir)/runc-config.json", """
        {"version":"0.1","runAsUser":"alice","username":"alice","containerId":"\(FakeNode.cid)","applicationId":"\(FakeNode.app)",
         "pidFile":"\(node.pidFile)","containerScriptPath":"\(privateDir)/launch_container.sh",
         "containerCredentialsPath":"\(privateDir)/\(FakeNode.cid).tokens","localDirs":["/etc/evil"],"logDirs":["\(FakeNode.logs)"],
         "layers":[],"reapLayerKeepCount":100,
         "ociRuntimeConfig":{"mounts":[],"process":{"cwd":"\(work)","env":["PATH=/bin"],"args":["bash","\(work)/launch_container.sh"]},"linux":{}},
         "kata":{"runtime":"runc"}}
        """, uid: FakeNode.yarn, gid: FakeNode.hadoop, mode: 0o600)
        let before = node.system.nodes
        let error = try captureError { try RunRuncContainer(context: node.context).run(commandFile: try AbsolutePath("\(privateDir)/runc-config.json")) }
        #expect(error.code == .couldNotCreateWorkDirectories, "\(error)")
        #expect(node.events("read").first.map(\.uid) == FakeNode.yarn)
        #expect(node.system.created(since: before).isEmpty)
    }

    // MARK: gc

    @Test("gc gives an orphan its exit code as the NM that launched it: 137 when it still ran, the runtime's when it ended",
          arguments: [(RuntimeState(status: .running, pid: 50000), "137"), (RuntimeState(status: .stopped, pid: nil, exitStatus: 3), "3"),
                      (nil, "154")])
    func gcExitCode(state: RuntimeState?, expected: String) throws {
        let node = try FakeNode()
        let store = "\(FakeNode.state)/containers/\(FakeNode.cid)"
        for dir in [FakeNode.state, "\(FakeNode.state)/containers", store] { node.system.addDirectory(dir, uid: 0, gid: 0, mode: 0o700) }
        node.system.addFile("\(store)/state.json", """
        {"id":"\(FakeNode.cid)","runtime":"runc","runAsUser":"alice","uid":\(FakeNode.alice),"pid":50000,"launcherPid":777,\
        "pidFile":"\(node.pidFile)","bundle":"\(store)/bundle","status":"running","startedAtMonotonicNs":1,\
        "nodeManagerUid":\(FakeNode.yarn),"nodeManagerGid":\(FakeNode.hadoop)}
        """, uid: 0, gid: 0, mode: 0o600)
        node.driver.state = state
        let report = try GarbageCollector(context: node.context).run()
        #expect(report == ["reclaimed \(FakeNode.cid)"])
        #expect(node.system.text(node.pidFile + ".exitcode") == expected)
        let write = try node.position("write", ".exitcode")
        #expect(node.system.events[write].uid == FakeNode.yarn)
        #expect(try node.position("driver.delete", FakeNode.cid) < write)
        #expect(node.system.node(store) == nil)
    }
}
