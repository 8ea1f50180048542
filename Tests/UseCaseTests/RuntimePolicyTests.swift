import HadoopConfig
import NetworkPlanner
import RuntimeBase
import RuntimeCore
import Testing

/// Which containers are sandboxed: everything (`runtime.default=<sandbox>`), or only those that opt in
/// (`runtime.default=none` + `runtime.opt-in=<sandbox>`), as docs/install.md describes.
@Suite struct RuntimePolicyTests {
    static func kata(_ lines: String) throws -> KataSection {
        try ExecutorConfig(parsing: "yarn.nodemanager.linux-container-executor.group=hadoop\n[kata]\n\(lines)").kata
    }

    @Test("sandbox everything: every container gets the default; opting in changes nothing")
    func everything() throws {
        let kata = try Self.kata("runtime.default=runsc\n")
        #expect(try RuntimeSelection.choose(requested: nil, user: "alice", config: kata) == "runsc")
        #expect(try RuntimeSelection.choose(requested: nil, user: "alice", config: kata, optedIn: true) == "runsc")
    }

    @Test("opt-in only: plain containers run without a sandbox, opted-in ones in runtime.opt-in, named ones as asked")
    func optIn() throws {
        let kata = try Self.kata("runtime.default=none\nruntime.opt-in=runsc\nruntime.allowed=runc,runsc,kata\n")
        #expect(try RuntimeSelection.choose(requested: nil, user: "alice", config: kata) == "none")
        #expect(try RuntimeSelection.choose(requested: nil, user: "alice", config: kata, optedIn: true) == "runsc")
        #expect(try RuntimeSelection.choose(requested: "kata", user: "alice", config: kata, optedIn: true) == "kata")
    }

    @Test("none needs an opt-in sandbox, is no opt-in sandbox itself, and is never asked for unless allowed")
    func refusals() throws {
        #expect(throws: RuntimeError.self) { try Self.kata("runtime.default=none\n") }
        #expect(throws: RuntimeError.self) { try Self.kata("runtime.default=runc\nruntime.opt-in=none\n") }
        let kata = try Self.kata("runtime.default=runsc\nruntime.allowed=runc\n")
        #expect(throws: RuntimeError.self) { try RuntimeSelection.choose(requested: "none", user: "alice", config: kata) }
    }

    @Test("a container without a sandbox has the node's network and no other")
    func network() throws {
        let settings = try Self.kata("runtime.default=none\nruntime.opt-in=runc\nnetwork.allowed=host,none\n").networking
        #expect(try NetworkMode.resolve(runtime: "none", requested: nil, settings: settings) == .host)
        #expect(try NetworkMode.resolve(runtime: "runc", requested: "none", settings: settings) == NetworkMode.none)
        let error = #expect(throws: RuntimeError.self) { try NetworkMode.resolve(runtime: "none", requested: "none", settings: settings) }
        #expect(error?.message.contains("runs on the host") == true)
    }
}
