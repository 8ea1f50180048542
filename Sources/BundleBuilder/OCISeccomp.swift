import RuntimeBase
import StrictJSON

/// An OCI `linux.seccomp` profile restricted to what we can compile and check: a default action, architectures
/// and name-only syscall rules (argument filters are refused rather than silently dropped).
public struct OCISeccomp: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        case allow = "SCMP_ACT_ALLOW"
        case errno = "SCMP_ACT_ERRNO"
        case killProcess = "SCMP_ACT_KILL_PROCESS"
        case killThread = "SCMP_ACT_KILL"
        case trap = "SCMP_ACT_TRAP"
        case log = "SCMP_ACT_LOG"
    }

    public struct Rule: Sendable, Equatable {
        public var names: [String]
        public var action: Action
        public var errnoRet: Int?
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
            if rule["args"] != nil, rule["args"]?.arrayValue?.isEmpty == false { throw bad("argument filters are not supported") }
            guard let names = rule["names"]?.arrayValue?.compactMap(\.stringValue), !names.isEmpty,
                  names.allSatisfy({ !$0.isEmpty && $0.count <= 64 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } }),
                  let actionName = rule["action"]?.stringValue, let ruleAction = Action(rawValue: actionName) else {
                throw bad("each rule needs names and a valid action")
            }
            rules.append(Rule(names: names, action: ruleAction, errnoRet: rule["errnoRet"].flatMap { $0.int64Value }.map(Int.init)))
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
        ], action: .errno, errnoRet: 1)])
}
