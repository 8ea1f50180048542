import RuntimeBase
import Testing
import YarnContract

@Suite struct ArgvDecoderTests {
    static let app = "application_1795555676958_0001"
    static let cid = "container_1795555676958_0001_01_000002"
    static let launch = ["kyr", "alice", "alice", "1", app, cid, "/l/usercache/alice/appcache/\(app)/\(cid)",
                         "/l/nmPrivate/\(app)/\(cid)/launch_container.sh", "/l/nmPrivate/\(app)/\(cid)/\(cid).tokens",
                         "--http", "/l/nmPrivate/\(app)/\(cid)/\(cid).pid", "/l%/l2", "/g", "cgroups=none"]

    func code(_ argv: [String]) -> ExitCode? {
        do { _ = try ArgvDecoder.decode(argv); return nil } catch { return error.code }
    }

    @Test("operation 1 decodes Hadoop's layout, http and https, with and without a tc file")
    func launchLayouts() throws {
        guard case .launchContainer(let http) = try ArgvDecoder.decode(Self.launch) else { Issue.record("not a launch"); return }
        #expect(http.localDirectories.map(\.value) == ["/l", "/l2"])
        #expect(http.keystore == nil && http.trafficControlFile == nil)
        #expect(http.exitCodeFile.value == "/l/nmPrivate/\(Self.app)/\(Self.cid)/\(Self.cid).pid.exitcode")
        var https = Self.launch
        https.replaceSubrange(9...9, with: ["--https", "/k/keystore", "/k/truststore"])
        guard case .launchContainer(let secure) = try ArgvDecoder.decode(https + ["/tc"]) else { Issue.record("not a launch"); return }
        #expect(secure.keystore?.value == "/k/keystore" && secure.trafficControlFile == "/tc")
        #expect(code(Self.launch + ["/tc", "extra"]) == .invalidArgumentNumber)
        #expect(code(Array(Self.launch.dropLast())) == .invalidArgumentNumber)
    }

    @Test("rejected argv and the exit code each gets", arguments: [
        (["kyr"], ExitCode.invalidArgumentNumber),
        (["kyr", "alice", "alice"], .invalidArgumentNumber),
        (["kyr", "alice", "alice", "7"], .invalidCommandProvided),
        (["kyr", "alice", "alice", "1x"], .invalidCommandProvided),
        (["kyr", "alice", "alice", "2", "12", "15", "9"], .invalidArgumentNumber),
        (["kyr", "alice", "alice", "2", "12a", "15"], .invalidArgumentNumber),
        (["kyr", "alice", "alice", "3"], .pathToDeleteIsNull),
        (["kyr", "--no-such-op"], .invalidCommandProvided),
        (["kyr", "--checksetup", "extra"], .invalidArgumentNumber),
        (["kyr", "--reap-runc-layer-mounts", "-1"], .invalidCommandProvided),
        (["kyr", "--run-runc-container", "relative.json"], .runcSetupFailed),
        (["kyr", "../../etc", "alice", "2", "1", "9"], .generalFailure),
        (["kyr", "launch", "container_1_2_3"], .invalidContainerId),
        (["kyr", "launch", "container_1795555676958_0001_01_000002/../x"], .invalidContainerId),
        (["kyr", "signal", "container_1795555676958_0001_01_000002", "NOPE"], .invalidArgumentNumber),
    ])
    func rejected(_ argv: [String], _ expected: ExitCode) {
        #expect(code(argv) == expected)
    }

    @Test("paths with '..' or relative parts are refused before anything touches the disk")
    func hostilePaths() {
        var dotdot = Self.launch
        dotdot[6] = "/l/usercache/alice/../../etc"
        #expect(code(dotdot) == .invalidArgumentNumber)
        var relative = Self.launch
        relative[10] = "pidfile"
        #expect(code(relative) == .invalidArgumentNumber)
        #expect(code(["kyr"] + Array(repeating: "x", count: 5000)) == .invalidArgumentNumber)
        #expect(code(["kyr", "alice", "alice", "5", String(repeating: "a", count: 120_000)]) == .invalidArgumentNumber)
    }

    @Test("verbs are recognised only with a container id")
    func verbs() throws {
        #expect(try ArgvDecoder.decode(["kyr", "list"]) == .list)
        let id = try ContainerId(Self.cid)
        #expect(try ArgvDecoder.decode(["kyr", "signal", Self.cid, "TERM"]) == .signal(containerId: id, signal: 15))
        #expect(try ArgvDecoder.decode(["kyr", "signal", Self.cid, "SIGKILL"]) == .signal(containerId: id, signal: 9))
        #expect(try ArgvDecoder.decode(["kyr", "launch", Self.cid, "--runtime", "runc"]) == .launch(containerId: id, contextFile: nil, runtime: "runc"))
        // A user named "signal" calling operation 2 still decodes as Hadoop's operation.
        guard case .signalContainer = try ArgvDecoder.decode(["kyr", "signal", "alice", "2", "123", "15"]) else {
            Issue.record("Hadoop operation shadowed by a verb"); return
        }
    }

    @Test("container ids: Hadoop's two forms only")
    func containerIds() throws {
        #expect(try ContainerId("container_e17_1795555676958_0001_01_000002").applicationId.value == "application_1795555676958_0001")
        for bad in ["container_1_2_3", "container_x_1_2_3", "CONTAINER_1_2_3_4", "container_1_2_3_4_5_6", "container_1__2_3",
                    "container_e_1_2_3_4", "container_1_2_3_4\n"] {
            #expect(throws: RuntimeError.self, "\(bad)") { try ContainerId(bad) }
        }
    }

    @Test("every recorded NodeManager invocation decodes to the operation it was")
    func recordedInvocations() throws {
        var decoded = 0
        for capture in try Fixtures.captures() {
            let argv = ["kata-yarn-runtime"] + (try Fixtures.argv(capture))
            let request = try ArgvDecoder.decode(argv)
            let kind = capture.drop(while: { $0 != "-" }).dropFirst()
            switch (kind, request) {
            case ("checksetup", .checkSetup), ("launch-container", .launchContainer), ("signal-container", .signalContainer),
                 ("delete-as-user", .deleteAsUser), ("initialize-container", .initializeContainer),
                 ("reap-runc-layer-mounts", .reapRuncLayerMounts), ("run-runc-container", .runRuncContainer),
                 ("inspect-docker-container", .docker), ("launch-docker-container", .launchDockerContainer):
                decoded += 1
            default:
                Issue.record("\(capture) decoded as \(request)")
            }
        }
        #expect(decoded >= 140)
    }

    @Test("help and version have one home: answered before set-up, never reaching decode")
    func informational() throws {
        #expect(ArgvDecoder.informational(["kyr", "help"]) == .help && ArgvDecoder.informational(["kyr", "--help"]) == .help)
        #expect(ArgvDecoder.informational(["kyr", "version"]) == .version && ArgvDecoder.informational(["kyr", "--version"]) == .version)
        #expect(ArgvDecoder.informational(["kyr", "help", "me"]) == nil && ArgvDecoder.informational(["kyr", "alice"]) == nil)
        #expect(throws: RuntimeError.self) { try ArgvDecoder.decode(["kyr", "--help"]) }
    }
}
