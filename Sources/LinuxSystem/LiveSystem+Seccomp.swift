import CLinuxShim
import RuntimeBase

/// A seccomp profile compiled to BPF by libseccomp. Compiling in the launcher proves every syscall name,
/// action and architecture is valid before any runtime sees the profile.
public struct CompiledSeccomp: Sendable {
    public let instructions: Int
    public let unknownSyscalls: [String]
    public init(instructions: Int, unknownSyscalls: [String]) { self.instructions = instructions; self.unknownSyscalls = unknownSyscalls }
}

public enum SeccompAction: Int32, Sendable {
    case allow = 0, errno = 1, killProcess = 2, trap = 3, log = 4, killThread = 5
}

extension LiveSystem {
    /// One OCI argument condition: `op` is libseccomp's `enum scmp_compare` (1 NE, 2 LT, 3 LE, 4 EQ, 5 GE, 6 GT, 7 MASKED_EQ).
    public struct SeccompCondition: Sendable {
        public var index: UInt32, op: Int32, value: UInt64, valueTwo: UInt64
        public init(index: UInt32, op: Int32, value: UInt64, valueTwo: UInt64) {
            self.index = index; self.op = op; self.value = value; self.valueTwo = valueTwo
        }
    }

    public func compileSeccomp(defaultAction: SeccompAction, defaultErrno: Int32, architectures: [String],
                               rules: [(names: [String], action: SeccompAction, errno: Int32, conditions: [SeccompCondition])]) throws(RuntimeError) -> CompiledSeccomp {
        var context: OpaquePointer?
        _ = try Self.check(kyr_seccomp_new(&context, defaultAction.rawValue, defaultErrno), .invalidConfigFile, "seccomp profile: default action")
        defer { kyr_seccomp_free(context) }
        for arch in architectures {
            _ = try Self.check(kyr_seccomp_add_arch(context, arch), .invalidConfigFile, "seccomp profile: architecture \(arch)")
        }
        var unknown: [String] = []
        for rule in rules {
            for name in rule.names {
                let rc: Int32
                if rule.conditions.isEmpty {
                    rc = kyr_seccomp_add(context, name, rule.action.rawValue, rule.errno)
                } else {
                    let c = rule.conditions
                    rc = kyr_seccomp_add_cond(context, name, rule.action.rawValue, rule.errno, UInt32(c.count),
                                              c.map(\.index), c.map(\.op), c.map(\.value), c.map(\.valueTwo))
                }
                if rc == 1 { unknown.append(name); continue }
                _ = try Self.check(rc, .invalidConfigFile, "seccomp profile: rule for \(name)")
            }
        }
        var bpf = kyr_bpf()
        _ = try Self.check(kyr_seccomp_export(context, &bpf), .invalidConfigFile, "seccomp profile: export bpf")
        defer { kyr_bpf_free(&bpf) }
        return CompiledSeccomp(instructions: Int(bpf.len), unknownSyscalls: unknown)
    }
}
