import CLinuxShim
import RuntimeBase

/// A seccomp profile compiled to BPF by libseccomp. Compiling in the launcher proves every syscall name,
/// action and architecture is valid before any runtime sees the profile.
public struct CompiledSeccomp: Sendable {
    public let instructions: Int
    public let unknownSyscalls: [String]
}

public enum SeccompAction: Int32, Sendable {
    case allow = 0, errno = 1, killProcess = 2, trap = 3, log = 4, killThread = 5
}

extension LiveSystem {
    public func compileSeccomp(defaultAction: SeccompAction, defaultErrno: Int32, architectures: [String],
                               rules: [(names: [String], action: SeccompAction, errno: Int32)]) throws(RuntimeError) -> CompiledSeccomp {
        var context: OpaquePointer?
        _ = try Self.check(kyr_seccomp_new(&context, defaultAction.rawValue, defaultErrno), .invalidConfigFile, "seccomp profile: default action")
        defer { kyr_seccomp_free(context) }
        for arch in architectures {
            _ = try Self.check(kyr_seccomp_add_arch(context, arch), .invalidConfigFile, "seccomp profile: architecture \(arch)")
        }
        var unknown: [String] = []
        for rule in rules {
            for name in rule.names {
                let rc = kyr_seccomp_add(context, name, rule.action.rawValue, rule.errno)
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
