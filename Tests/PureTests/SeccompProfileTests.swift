import BundleBuilder
import Foundation
import RuntimeBase
import StrictJSON
import Testing

/// OCI argument conditions, the namespace-flag filter of the default profile, its runsc adaptation, and the two
/// allow-list profiles shipped in hadoop-conf/ (docs/security.md §4).
@Suite struct SeccompProfileTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func load(_ name: String) throws -> OCISeccomp {
        let bytes = Array(try Data(contentsOf: repo.appendingPathComponent("hadoop-conf").appendingPathComponent(name)))
        return try OCISeccomp(json: try JSONParser().parse(bytes))
    }

    @Test func defaultDeniesCloneWithEveryNamespaceFlagAndClone3() {
        let clone = OCISeccomp.yarnDefault.rules.filter { $0.names == ["clone"] }
        #expect(clone.count == OCISeccomp.namespaceFlags.count)
        for (rule, flag) in zip(clone, OCISeccomp.namespaceFlags) {
            #expect(rule.action == .errno && rule.args == [.init(index: 0, value: flag, valueTwo: flag, op: .maskedEq)])
        }
        let clone3 = OCISeccomp.yarnDefault.rules.first { $0.names == ["clone3"] }
        #expect(clone3?.action == .errno && clone3?.errnoRet == 38)
        #expect(OCISeccomp.namespaceFlags.reduce(0, |) == 0x7E02_0000)
    }

    @Test func argumentConditionsRoundTripThroughJSON() throws {
        let again = try OCISeccomp(json: try JSONParser().parse(JSONWriter.encode(OCISeccomp.yarnDefault.json)))
        #expect(again == OCISeccomp.yarnDefault)
    }

    @Test func malformedConditionsAreRefused() throws {
        for args in [#"[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]"#, #"[{"index":0,"value":-1,"op":"SCMP_CMP_EQ"}]"#,
                     #"[{"index":0,"value":1,"op":"SCMP_CMP_LIKE"}]"#, #"[{"index":0,"op":"SCMP_CMP_EQ"}]"#, #""x""#] {
            let text = #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ERRNO","args":"# + args + "}]}"
            #expect(throws: RuntimeError.self) { try OCISeccomp(json: try JSONParser().parse(text)) }
        }
    }

    @Test func runscGetsClone3LeftToTheSentry() throws {
        let runsc = OCISeccomp.yarnDefault.adapted(for: "runsc")
        #expect(!runsc.rules.contains { $0.names.contains("clone3") })
        #expect(runsc.rules.filter { $0.names == ["clone"] }.count == OCISeccomp.namespaceFlags.count)
        #expect(OCISeccomp.yarnDefault.adapted(for: "runc") == OCISeccomp.yarnDefault)
        let strict = try Self.load("seccomp-strict.json").adapted(for: "runsc")
        #expect(strict.rules.contains { $0.names == ["clone3"] && $0.action == .allow })
    }

    @Test func shippedProfilesAreAllowListsWithoutKernelSurfaces() throws {
        let never: Set<String> = ["mount", "unshare", "setns", "ptrace", "bpf", "perf_event_open", "finit_module", "init_module",
                                  "kexec_load", "keyctl", "add_key", "io_uring_setup", "userfaultfd", "open_by_handle_at", "syslog"]
        for name in ["seccomp-strict.json", "seccomp-jvm.json"] {
            let profile = try Self.load(name)
            #expect(profile.defaultAction == .errno && profile.defaultErrnoRet == 1)
            let allowed = Set(profile.rules.filter { $0.action == .allow && $0.args.isEmpty }.flatMap(\.names))
            #expect(allowed.isDisjoint(with: never) && !allowed.contains("clone") && !allowed.contains("clone3"))
            #expect(profile.rules.contains { $0.names == ["clone"] && $0.args == [.init(index: 0, value: 0x7E02_0000, valueTwo: 0, op: .maskedEq)] })
        }
    }
}
