import RuntimeBase

/// Decodes argv with Hadoop 3.3.6's exact layouts and argument-count rules (`CE/main.c`). Pure: the caller
/// passes the full argv (argv[0] included). Our verbs are recognised only in shapes no NodeManager call has.
public enum ArgvDecoder {
    /// Longer argv than any NodeManager call makes (a localizer command line is well under this).
    public static let maxArguments = 4096
    public static let maxArgumentBytes = 100_000   // the longest recorded (a localizer classpath) is 23,570 bytes

    public static func decode(_ argv: [String]) throws(RuntimeError) -> YarnRequest {
        guard argv.count >= 2 else { throw RuntimeError(.invalidArgumentNumber, "no operation given; see 'kata-yarn-runtime help'") }
        guard argv.count <= maxArguments, argv.allSatisfy({ $0.utf8.count <= maxArgumentBytes }) else {
            throw RuntimeError(.invalidArgumentNumber, "argument list too long")
        }
        let first = argv[1]
        if first.hasPrefix("--") { return try decodeFlag(argv) }
        if let verb = try decodeVerb(argv) { return verb }
        return try decodeNumeric(argv)
    }

    // MARK: flag operations

    static func decodeFlag(_ argv: [String]) throws(RuntimeError) -> YarnRequest {
        let n = argv.count
        func need(_ ok: Bool) throws(RuntimeError) {
            if !ok { throw RuntimeError(.invalidArgumentNumber, "wrong number of arguments for \(argv[1])") }
        }
        switch argv[1] {
        case "--checksetup":
            try need(n == 2)
            return .checkSetup
        case "--mount-cgroups":
            try need(n >= 4)
            return .mountCgroups(hierarchy: argv[2], pairs: Array(argv[3...]))
        case "--run-runc-container":
            try need(n == 3)
            return .runRuncContainer(commandFile: try AbsolutePath(argv[2], code: .runcSetupFailed))
        case "--reap-runc-layer-mounts":
            try need(n == 3)
            guard let keep = Int(argv[2]), keep >= 0, argv[2].allSatisfy(\.isASCIIDigit) else {
                throw RuntimeError(.invalidCommandProvided, "keep count must be a non-negative integer")
            }
            return .reapRuncLayerMounts(keepCount: keep)
        case "--tc-modify-state", "--tc-read-state", "--tc-read-stats":
            try need(n == 3)
            return .trafficControl(operation: argv[1], commandFile: argv[2])
        case "--exec-container":
            try need(n == 3)
            return .execContainer(commandFile: argv[2])
        case "--run-docker", "--remove-docker-container", "--inspect-docker-container":
            try need(n >= 3 && n <= 4)
            return .docker(operation: argv[1])
        case "--module-gpu", "--module-fpga", "--module-devices":
            return .deviceModule(name: argv[1])
        default:
            throw RuntimeError(.invalidCommandProvided, "invalid command provided: \(Redact.short(argv[1]))")
        }
    }

    // MARK: numeric operations

    static func decodeNumeric(_ argv: [String]) throws(RuntimeError) -> YarnRequest {
        let n = argv.count
        guard n >= 4 else { throw RuntimeError(.invalidArgumentNumber, "too few arguments") }
        // Hadoop uses atoi; we accept only plain decimal, so "1x" is refused instead of read as 1.
        guard argv[3].count <= 3, argv[3].allSatisfy(\.isASCIIDigit), let command = Int(argv[3]) else {
            throw RuntimeError(.invalidCommandProvided, "invalid command provided: \(Redact.short(argv[3]))")
        }
        let users = UserPair(runAsUser: try UserName(argv[1]), yarnUser: try UserName(argv[2]))
        func count(_ ok: Bool) throws(RuntimeError) {
            if !ok { throw RuntimeError(.invalidArgumentNumber, "wrong number of arguments for command \(command)") }
        }
        switch command {
        case 0:
            try count(n >= 10)
            return .initializeContainer(InitializeRequest(
                users: users, applicationId: try ApplicationId(argv[4]), containerId: try ContainerId(argv[5]),
                tokensFile: try AbsolutePath(argv[6]), localDirectories: try pathList(argv[7]),
                logDirectories: try pathList(argv[8]), command: Array(argv[9...])))
        case 1, 4:
            try count(n >= 14 && n <= 17)
            let https = argv[9] == "--https"
            var next = 10
            var keystore: AbsolutePath?, truststore: AbsolutePath?
            if https {
                try count(n >= 16)
                keystore = try AbsolutePath(argv[10])
                truststore = try AbsolutePath(argv[11])
                next = 12
            } else {
                try count(n <= 15)
            }
            try count(n - next == 4 || n - next == 5)
            if command == 4 { return .launchDockerContainer(users) }
            return .launchContainer(LaunchRequest(
                users: users, applicationId: try ApplicationId(argv[4]), containerId: try ContainerId(argv[5]),
                workDirectory: try AbsolutePath(argv[6]), scriptFile: try AbsolutePath(argv[7]),
                tokensFile: try AbsolutePath(argv[8]), keystore: keystore, truststore: truststore,
                pidFile: try AbsolutePath(argv[next]), localDirectories: try pathList(argv[next + 1]),
                logDirectories: try pathList(argv[next + 2]), resourcesOption: argv[next + 3],
                trafficControlFile: n - next == 5 ? argv[next + 4] : nil))
        case 2:
            try count(n == 6)
            guard let pid = strictInt32(argv[4]), let signal = strictInt32(argv[5]) else {
                throw RuntimeError(.invalidArgumentNumber, "pid and signal must be decimal numbers")
            }
            return .signalContainer(users, pid: pid, signal: signal)
        case 3:
            guard n >= 5 else { throw RuntimeError(.pathToDeleteIsNull, "path to delete is null") }
            return .deleteAsUser(users, subdirectory: argv[4], baseDirectories: Array(argv[5...]))
        case 5:
            try count(n == 5)
            return .listAsUser(users, directory: argv[4])
        case 6:
            try count(n == 6)
            return .syncYarnSysfs(users, applicationId: try ApplicationId(argv[4]), localDirectories: try pathList(argv[5]))
        default:
            throw RuntimeError(.invalidCommandProvided, "invalid command provided: \(command)")
        }
    }

    /// `%`-joined path lists (`PrivilegedOperation.LINUX_FILE_PATH_SEPARATOR`).
    static func pathList(_ raw: String) throws(RuntimeError) -> [AbsolutePath] {
        let parts = raw.split(separator: "%").map(String.init)
        guard !parts.isEmpty, parts.count <= 256 else { throw RuntimeError(.invalidArgumentNumber, "empty directory list") }
        var result: [AbsolutePath] = []
        for part in parts { result.append(try AbsolutePath(part)) }
        return result
    }

    /// Decimal with full consumption, like Hadoop's `strtol` check.
    static func strictInt32(_ raw: String) -> Int32? {
        let body = raw.hasPrefix("-") ? raw.dropFirst() : Substring(raw)
        guard !body.isEmpty, body.count <= 10, body.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int32(raw)
    }

    // MARK: our verbs

    static let verbs: Set<String> = ["launch", "signal", "state", "list", "delete", "gc"]

    public enum Informational: Sendable, Equatable { case help, version }

    /// `help`, `--help`, `version`, `--version` and nothing else: answered before any set-up check, since they
    /// touch nothing (the one home of help; every other argv goes through `decode` after the checks).
    public static func informational(_ argv: [String]) -> Informational? {
        guard argv.count == 2 else { return nil }
        switch argv[1] {
        case "help", "--help": return .help
        case "version", "--version": return .version
        default: return nil
        }
    }

    /// A verb is recognised only with a syntactically valid container id in argv[2] (or no arguments for
    /// `list`/`gc`): a NodeManager never passes a container id as the YARN user, so no Hadoop call
    /// is ever mistaken for a verb.
    static func decodeVerb(_ argv: [String]) throws(RuntimeError) -> YarnRequest? {
        let verb = argv[1]
        guard verbs.contains(verb) else { return nil }
        switch verb {
        case "list" where argv.count == 2: return .list
        case "gc" where argv.count == 2: return .gc
        case "list", "gc": return nil
        default: break
        }
        guard argv.count >= 3, argv[2].hasPrefix("container_") else { return nil }
        let id = try ContainerId(argv[2])
        switch verb {
        case "launch":
            var context: AbsolutePath?, runtime: String?
            var i = 3
            while i < argv.count {
                guard i + 1 < argv.count else { throw RuntimeError(.invalidArgumentNumber, "\(argv[i]) needs a value") }
                switch argv[i] {
                case "--context": context = try AbsolutePath(argv[i + 1])
                case "--runtime": runtime = argv[i + 1]
                default: throw RuntimeError(.invalidArgumentNumber, "unknown launch option: \(Redact.short(argv[i]))")
                }
                i += 2
            }
            return .launch(containerId: id, contextFile: context, runtime: runtime)
        case "signal":
            guard argv.count == 4, let signal = SignalName.parse(argv[3]) else {
                throw RuntimeError(.invalidArgumentNumber, "usage: signal <container-id> <TERM|KILL|QUIT|INT|HUP|USR1|USR2|number>")
            }
            return .signal(containerId: id, signal: signal)
        case "state":
            guard argv.count == 3 else { throw RuntimeError(.invalidArgumentNumber, "usage: state <container-id>") }
            return .state(containerId: id)
        case "delete":
            guard argv.count == 3 else { throw RuntimeError(.invalidArgumentNumber, "usage: delete <container-id>") }
            return .delete(containerId: id)
        default:
            return nil
        }
    }
}

public enum SignalName {
    static let names: [String: Int32] = ["HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "TERM": 15, "CONT": 18, "STOP": 19]

    public static func parse(_ raw: String) -> Int32? {
        let upper = raw.uppercased()
        let bare = upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
        if let known = names[bare] { return known }
        guard let number = ArgvDecoder.strictInt32(raw), number >= 0, number <= 64 else { return nil }
        return number
    }
}
