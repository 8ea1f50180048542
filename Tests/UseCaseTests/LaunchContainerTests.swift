import LinuxSystem
import RuntimeBase
import RuntimeCore
import RuntimeDrivers
import SystemFake
import Testing

/// Operation 1 against the recording system: the order of privileged steps, and whose identity each runs under.
@Suite struct LaunchContainerTests {
    @Test("a launch: NM files read as the NM, id claimed before staging, record before pid file, exit code as the NM")
    func order() throws {
        let node = try FakeNode()
        let status = try LaunchContainer(context: node.context).run(try node.launchRequest())
        #expect(status == 0)
        let events = node.system.events
        let script = try node.position("read", "launch_container.sh")
        #expect(events[script].uid == FakeNode.yarn)
        let claim = try node.position("mkdir", "\(FakeNode.state)/containers/\(FakeNode.cid)")
        let firstStage = try node.position("mkdir", "/nm/")
        #expect(script < claim && claim < firstStage)
        for event in node.events("mkdir") + node.events("create") where event.subject.hasPrefix("/nm/") {
            #expect(event.uid == 0, "YARN's dirs and copies are made by root and handed over: \(event)")
        }
        let record = try node.position("write", "state.json")
        let pid = try node.position("write", ".pid")
        #expect(record < pid)
        #expect(events[pid].uid == FakeNode.yarn)
        let wait = try node.position("driver.wait", FakeNode.cid)
        let exitCode = try node.position("write", ".pid.exitcode")
        #expect(wait < exitCode && events[exitCode].uid == FakeNode.yarn)
        #expect(try node.position("driver.delete", FakeNode.cid) < node.position("remove-tree", "\(FakeNode.state)/containers/\(FakeNode.cid)"))
        #expect(node.system.text(node.pidFile + ".exitcode") == "0")
        let work = try #require(node.system.node(node.workDir))
        #expect(work.uid == FakeNode.alice && work.gid == FakeNode.hadoop && work.mode == 0o2710)
        #expect(!events.contains { $0.call == "act-as" && $0.subject.hasPrefix("\(FakeNode.alice):") },
                "nothing in a launch acts as the tenant: the runtime drops to it inside the sandbox")
    }

    @Test("roots the NM does not own, symlinked roots and open roots are refused before anything is written",
          arguments: ["root-owned", "symlink", "group-writable"])
    func refusedRoots(kind: String) throws {
        let node = try FakeNode()
        switch kind {
        case "root-owned": node.system.addDirectory("/etc/evil", uid: 0, gid: 0, mode: 0o755)
        case "symlink": node.system.addSymlink("/etc/evil", to: FakeNode.local)
        default: node.system.addDirectory("/etc/evil", uid: FakeNode.yarn, gid: FakeNode.hadoop, mode: 0o775)
        }
        let before = node.system.nodes
        let error = try captureError { try LaunchContainer(context: node.context).run(try node.launchRequest(local: "/etc/evil")) }
        #expect(error.code == .couldNotCreateWorkDirectories)
        #expect(node.system.created(since: before).isEmpty)
        #expect(node.events("mkdir").isEmpty && node.events("create").isEmpty && node.events("write").isEmpty)
    }

    @Test("a second launch of a live id stops at the claim, with nothing staged")
    func idCollision() throws {
        let node = try FakeNode()
        let dir = "\(FakeNode.state)/containers/\(FakeNode.cid)"
        for path in [FakeNode.state, "\(FakeNode.state)/containers", dir] { node.system.addDirectory(path, uid: 0, gid: 0, mode: 0o700) }
        node.system.addFile("\(dir)/state.json", "{}", uid: 0, gid: 0, mode: 0o600)
        let before = node.system.nodes
        let error = try captureError { try LaunchContainer(context: node.context).run(try node.launchRequest()) }
        #expect(error.code == .runcSetupFailed && error.message.contains("already exists"))
        #expect(node.system.created(since: before).isEmpty)
        #expect(!node.events("mkdir").contains { $0.subject.hasPrefix("/nm/") })
    }

    @Test("a launch that fails after staging takes back everything it made, and only that")
    func unstage() throws {
        let node = try FakeNode()
        node.system.failures["mkdir \(FakeNode.logs)/\(FakeNode.app)/\(FakeNode.cid)"] = RuntimeError(.couldNotCreateAppLogDirectories, "disk full", errno: 28)
        let before = node.system.nodes
        let error = try captureError { try LaunchContainer(context: node.context).run(try node.launchRequest()) }
        #expect(error.code == .couldNotCreateAppLogDirectories)
        let leftBehind = node.system.created(since: before).filter { !$0.hasPrefix(FakeNode.state) }
        #expect(leftBehind.isEmpty, "left behind: \(leftBehind)")
        #expect(node.system.node("\(FakeNode.state)/containers/\(FakeNode.cid)") == nil)
        #expect(node.events("driver.start").isEmpty)
    }

    @Test("cleanup runs every step: a failed runtime delete keeps the record for gc, and the error is reported")
    func cleanupKeepsGoing() throws {
        let node = try FakeNode()
        node.driver.deleteFailure = RuntimeError(.generalFailure, "runc delete failed")
        let error = try captureError { try LaunchContainer(context: node.context).run(try node.launchRequest()) }
        #expect(error.message == "runc delete failed")
        #expect(node.system.text(node.pidFile + ".exitcode") == "0", "the exit code is written before cleanup")
        #expect(node.system.node("\(FakeNode.state)/containers/\(FakeNode.cid)/state.json") != nil)
    }

    @Test("a failed chown of the stdio files is reported, after the exit code and the whole cleanup")
    func checkedChown() throws {
        let node = try FakeNode()
        node.system.failures["chown \(FakeNode.logs)/\(FakeNode.app)/\(FakeNode.cid)/sandbox.stdout"] = RuntimeError(.generalFailure, "chown: read-only fs")
        let error = try captureError { try LaunchContainer(context: node.context).run(try node.launchRequest()) }
        #expect(error.message == "chown: read-only fs")
        #expect(node.system.text(node.pidFile + ".exitcode") == "0")
        #expect(node.system.node("\(FakeNode.state)/containers/\(FakeNode.cid)") == nil)
    }
}

func captureError(_ body: () throws -> Int32) throws -> RuntimeError {
    do {
        let status = try body()
        throw RuntimeError(.generalFailure, "expected an error, got status \(status)")
    } catch let error as RuntimeError {
        if error.message.hasPrefix("expected an error") { throw error }
        return error
    }
}
