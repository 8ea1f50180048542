import RuntimeBase
import StrictJSON

/// An OCI `linux.seccomp` profile restricted to what we can compile and check: a default action, architectures
/// and syscall rules with optional argument conditions (`args`, ANDed, compiled by libseccomp like runc does).
public struct OCISeccomp: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        case allow = "SCMP_ACT_ALLOW"
        case errno = "SCMP_ACT_ERRNO"
        case killProcess = "SCMP_ACT_KILL_PROCESS"
        case killThread = "SCMP_ACT_KILL"
        case trap = "SCMP_ACT_TRAP"
        case log = "SCMP_ACT_LOG"
    }

    /// An OCI argument condition: `(arg[index] op value)`, or `(arg[index] & value) == valueTwo` for MASKED_EQ.
    public struct Arg: Sendable, Equatable {
        public enum Op: String, Sendable, CaseIterable {
            case ne = "SCMP_CMP_NE", lt = "SCMP_CMP_LT", le = "SCMP_CMP_LE", eq = "SCMP_CMP_EQ"
            case ge = "SCMP_CMP_GE", gt = "SCMP_CMP_GT", maskedEq = "SCMP_CMP_MASKED_EQ"
            /// libseccomp's `enum scmp_compare`.
            public var libseccompValue: Int32 {
                switch self {
                case .ne: return 1
                case .lt: return 2
                case .le: return 3
                case .eq: return 4
                case .ge: return 5
                case .gt: return 6
                case .maskedEq: return 7
                }
            }
        }
        public var index: Int
        public var value: UInt64
        public var valueTwo: UInt64
        public var op: Op

        public init(index: Int, value: UInt64, valueTwo: UInt64, op: Op) {
            self.index = index; self.value = value; self.valueTwo = valueTwo; self.op = op
        }
    }

    public struct Rule: Sendable, Equatable {
        public var names: [String]
        public var action: Action
        public var errnoRet: Int?
        public var args: [Arg] = []
    }

    public var defaultAction: Action
    public var defaultErrnoRet: Int?
    public var architectures: [String]
    public var rules: [Rule]

    public static let maxRules = 1024

    public init(defaultAction: Action, defaultErrnoRet: Int?, architectures: [String], rules: [Rule]) {
        self.defaultAction = defaultAction; self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures; self.rules = rules
    }

    public init(json: JSONValue) throws(RuntimeError) {
        func bad(_ why: String) -> RuntimeError { RuntimeError(.invalidConfigFile, "seccomp profile: \(why)") }
        guard let object = json.objectValue else { throw bad("must be a json object") }
        let allowedKeys: Set<String> = ["defaultAction", "defaultErrnoRet", "architectures", "syscalls", "flags"]
        if let unknown = object.keys.sorted().first(where: { !allowedKeys.contains($0) }) { throw bad("unsupported key \(unknown)") }
        guard let raw = object["defaultAction"]?.stringValue, let action = Action(rawValue: raw) else { throw bad("invalid defaultAction") }
        defaultAction = action
        defaultErrnoRet = object["defaultErrnoRet"].flatMap { $0.int64Value }.map(Int.init)
        architectures = (object["architectures"]?.arrayValue ?? []).compactMap(\.stringValue)
        rules = []
        for entry in object["syscalls"]?.arrayValue ?? [] {
            guard let rule = entry.objectValue else { throw bad("syscalls entries must be objects") }
            var args: [Arg] = []
            if let raw = rule["args"] {
                guard let list = raw.arrayValue, list.count <= 6 else { throw bad("args must be an array of at most 6 conditions") }
                for item in list {
                    guard let arg = item.objectValue, let index = arg["index"]?.int64Value, (0...5).contains(index),
                          let value = arg["value"]?.int64Value, value >= 0,
                          let opName = arg["op"]?.stringValue, let op = Arg.Op(rawValue: opName) else {
                        throw bad("each args entry needs index 0...5, a non-negative value and a valid op")
                    }
                    let two = arg["valueTwo"]?.int64Value ?? 0
                    guard two >= 0 else { throw bad("valueTwo must be non-negative") }
                    args.append(Arg(index: Int(index), value: UInt64(value), valueTwo: UInt64(two), op: op))
                }
            }
            guard let names = rule["names"]?.arrayValue?.compactMap(\.stringValue), !names.isEmpty,
                  names.allSatisfy({ !$0.isEmpty && $0.count <= 64 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } }),
                  let actionName = rule["action"]?.stringValue, let ruleAction = Action(rawValue: actionName) else {
                throw bad("each rule needs names and a valid action")
            }
            rules.append(Rule(names: names, action: ruleAction, errnoRet: rule["errnoRet"].flatMap { $0.int64Value }.map(Int.init), args: args))
        }
        guard rules.count <= Self.maxRules else { throw bad("more than \(Self.maxRules) rules") }
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["defaultAction": .string(defaultAction.rawValue)]
        if let defaultErrnoRet { object["defaultErrnoRet"] = .int(defaultErrnoRet) }
        if !architectures.isEmpty { object["architectures"] = .strings(architectures) }
        object["syscalls"] = .array(rules.map { rule in
            var r: [String: JSONValue] = ["names": .strings(rule.names), "action": .string(rule.action.rawValue)]
            if let errnoRet = rule.errnoRet { r["errnoRet"] = .int(errnoRet) }
            if !rule.args.isEmpty {
                r["args"] = .array(rule.args.map { arg in
                    .object(["index": .int(arg.index), "value": .int(Int64(arg.value)), "valueTwo": .int(Int64(arg.valueTwo)),
                             "op": .string(arg.op.rawValue)])
                })
            }
            return .object(r)
        })
        return .object(object)
    }

    /// The built-in default for YARN workloads (JVMs, Python, shells): everything allowed except the kernel
    /// surfaces a tenant job has no business touching, which fail with EPERM. docs/security.md lists the reasons.
    public static let yarnDefault = OCISeccomp(
        defaultAction: .allow, defaultErrnoRet: nil,
        architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        rules: [Rule(names: [
            "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module",
            "finit_module", "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms", "init_module", "ioperm",
            "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mount", "mount_setattr",
            "move_mount", "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree", "perf_event_open",
            "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace", "query_module", "quotactl", "reboot",
            "request_key", "setns", "settimeofday", "stime", "swapoff", "swapon", "syslog", "umount", "umount2",
            "unshare", "uselib", "userfaultfd", "ustat", "vhangup", "vm86", "vm86old",
        ], action: .errno, errnoRet: 1)]
            // clone(2) with a namespace flag: unshare/setns alone leave this path open, and a new user namespace
            // hands the tenant CAP_SYS_ADMIN/CAP_NET_ADMIN over fresh namespaces (the way into most container
            // kernel exploits). One rule per flag (OCI conditions are ANDed). clone3 passes its flags in memory a
            // filter cannot read, so it answers ENOSYS and glibc falls back to clone (Docker's default does the same).
            + namespaceFlags.map { flag in
                Rule(names: ["clone"], action: .errno, errnoRet: 1, args: [Arg(index: 0, value: flag, valueTwo: flag, op: .maskedEq)])
            }
            + [Rule(names: ["clone3"], action: .errno, errnoRet: 38)])

    /// The profile as a runtime can enforce it. gVisor (runsc 20221219) ignores `errnoRet`, so every ERRNO rule
    /// answers EPERM there, and glibc falls back from clone3 to clone only on ENOSYS: a clone3 rule would break
    /// every pthread_create (JVMs cannot start). Under runsc clone3 is left to the sentry instead, which answers
    /// ENOSYS itself (not implemented in this gVisor; any namespace would live in the sentry, not the host kernel),
    /// so glibc falls back to `clone`, which keeps its namespace-flag filter.
    public func adapted(for runtime: String) -> OCISeccomp {
        guard runtime == "runsc" else { return self }
        var copy = self
        copy.rules = rules.compactMap { rule in
            guard rule.action == .errno || rule.action == .killProcess || rule.action == .killThread,
                  rule.names.contains("clone3") else { return rule }
            var kept = rule
            kept.names.removeAll { $0 == "clone3" }
            return kept.names.isEmpty ? nil : kept
        }
        if defaultAction != .allow { copy.rules.append(Rule(names: ["clone3"], action: .allow, errnoRet: nil)) }
        return copy
    }

    /// CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET.
    public static let namespaceFlags: [UInt64] = [0x0002_0000, 0x0200_0000, 0x0400_0000, 0x0800_0000, 0x1000_0000, 0x2000_0000, 0x4000_0000]
}
