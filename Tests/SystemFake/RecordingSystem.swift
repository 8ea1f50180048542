import LinuxSystem
import RuntimeBase

/// A `System` for unit tests of the privileged use cases: an in-memory file tree with owners and modes, users and
/// groups, processes, and a log of every call with the uid it ran under. It applies the kernel rules the use cases
/// rely on (permissions by owner/group/other, setgid inheritance and its loss on a chmod by a non-member, O_EXCL,
/// no symlink followed) so that a wrong order or a wrong identity shows up as a failure, as it would on a node.
public final class RecordingSystem: System, @unchecked Sendable {
    public struct Event: Equatable, CustomStringConvertible {
        public var call: String
        public var subject: String
        public var uid: UInt32
        public var description: String { "\(call) \(subject) [uid \(uid)]" }
    }

    public struct Node {
        public enum Kind { case directory, regular, symlink }
        public var kind: Kind
        public var uid: UInt32, gid: UInt32, mode: UInt32
        public var bytes: [UInt8] = []
        public var target: String = ""
    }

    public private(set) var events: [Event] = []
    public private(set) var nodes: [String: Node] = ["/": Node(kind: .directory, uid: 0, gid: 0, mode: 0o755)]
    public var users: [String: UserRecord] = [:]
    public var groups: [String: UInt32] = [:]
    /// Live processes: pid → (real uid, process group).
    public var processes: [Int32: (uid: UInt32, group: Int32)] = [:]
    /// The status every spawned helper exits with, by program path.
    public var exitStatus: [String: Int32] = [:]
    /// Calls that fail: `"<call> <subject>"` → error.
    public var failures: [String: RuntimeError] = [:]
    public var callerIdentity = CallerIdentity(realUID: 0, effectiveUID: 0, realGID: 0, effectiveGID: 0, setuidExecution: false)
    public var limits: (openFiles: UInt64?, fileSize: UInt64?) = (1024, nil)

    private var identity: (uid: UInt32, gid: UInt32, groups: [UInt32]) = (0, 0, [0])
    private var nextFD: Int32 = 100
    private var fdPaths: [Int32: String] = [:]
    private var nextPid: Int32 = 40_000
    private var clock: UInt64 = 1_000

    public init() {}

    // MARK: test set-up and queries

    public func addUser(_ name: String, uid: UInt32, gid: UInt32, groups extra: [UInt32] = []) {
        users[name] = UserRecord(name: name, uid: uid, gid: gid, home: "/home/\(name)", groups: [gid] + extra)
    }

    public func addDirectory(_ path: String, uid: UInt32, gid: UInt32, mode: UInt32) {
        nodes[path] = Node(kind: .directory, uid: uid, gid: gid, mode: mode)
    }

    public func addFile(_ path: String, _ text: String, uid: UInt32, gid: UInt32, mode: UInt32) {
        nodes[path] = Node(kind: .regular, uid: uid, gid: gid, mode: mode, bytes: Array(text.utf8))
    }

    public func addSymlink(_ path: String, to target: String) {
        nodes[path] = Node(kind: .symlink, uid: 0, gid: 0, mode: 0o777, target: target)
    }

    public func node(_ path: String) -> Node? { nodes[path] }
    public func text(_ path: String) -> String? { nodes[path].map { String(decoding: $0.bytes, as: UTF8.self) } }

    /// Paths that exist now and did not in `before`.
    public func created(since before: [String: Node]) -> [String] { nodes.keys.filter { before[$0] == nil }.sorted() }

    /// Index of the first event matching `call` whose subject contains `subject`.
    public func index(of call: String, _ subject: String = "") -> Int? {
        events.firstIndex { $0.call == call && $0.subject.contains(subject) }
    }

    public func clearEvents() { events.removeAll() }

    // MARK: internals

    private func record(_ call: String, _ subject: String) { log(call, subject) }

    /// Adds an event under the current uid (the fake driver logs here too, so one log shows the whole order).
    public func log(_ call: String, _ subject: String) { events.append(Event(call: call, subject: subject, uid: identity.uid)) }

    private func injected(_ call: String, _ subject: String) throws(RuntimeError) {
        if let error = failures["\(call) \(subject)"] { throw error }
    }

    private func fail(_ code: ExitCode, _ what: String, _ errno: Int32) -> RuntimeError { RuntimeError(code, what, errno: errno) }

    private func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), path != "/" else { return "/" }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// Like `kyr_open_parent`: every directory above must exist and none may be a symlink.
    private func parentDirectory(_ path: String, _ code: ExitCode) throws(RuntimeError) -> Node? {
        var current = ""
        for component in parent(of: path).split(separator: "/") {
            current += "/" + component
            guard let node = nodes[current] else { return nil }
            if node.kind == .symlink { throw fail(code, "open parent of \(path): too many levels of symbolic links", 40) }
            if node.kind != .directory { throw fail(code, "open parent of \(path): not a directory", 20) }
        }
        return nodes[parent(of: path)]
    }

    private func inGroup(_ gid: UInt32) -> Bool { identity.gid == gid || identity.groups.contains(gid) }

    private func allowed(_ node: Node, _ bit: UInt32) -> Bool {
        if identity.uid == 0 { return true }
        if node.uid == identity.uid { return node.mode & (bit << 6) != 0 }
        if inGroup(node.gid) { return node.mode & (bit << 3) != 0 }
        return node.mode & bit != 0
    }

    private func writableParent(_ path: String, _ code: ExitCode) throws(RuntimeError) -> Node {
        guard let dir = try parentDirectory(path, code) else { throw fail(code, "\(path): no such file or directory", 2) }
        guard allowed(dir, 0o2), allowed(dir, 0o1) else { throw fail(code, "\(path): permission denied", 13) }
        return dir
    }

    // MARK: identity

    public func caller() -> CallerIdentity { callerIdentity }
    public func callerIsInGroup(_ gid: UInt32) -> Bool { callerIdentity.realGID == gid }
    public func becomeRoot() throws(RuntimeError) { record("become-root", "") }

    public func withIdentity<R>(uid: UInt32, gid: UInt32, groups: [UInt32], _ body: () throws(RuntimeError) -> R) throws(RuntimeError) -> R {
        guard identity.uid == 0 else { throw RuntimeError(.setuidOperFailed, "act as \(uid): identities never nest", errno: 16) }
        record("act-as", "\(uid):\(gid)")
        identity = (uid, gid, groups)
        defer { identity = (0, 0, [0]); record("return-to-root", "\(uid)") }
        return try body()
    }

    public func signalAsUser(uid: UInt32, gid: UInt32, groups: [UInt32], pid: Int32, signal: Int32) throws(RuntimeError) -> ExitCode {
        record("signal-as-user", "\(uid) \(pid) \(signal)")
        guard pid > 1 else { throw RuntimeError(.unableToSignalContainer, "invalid pid", errno: 22) }
        let members = processes.filter { $0.value.group == pid && $0.value.uid == uid }
        if members.isEmpty { return processes[pid] == nil ? .invalidContainerPid : .generalFailure }
        if signal == 9 || signal == 15 { for member in members.keys { processes[member] = nil } }
        return .success
    }

    public func processOwner(_ pid: Int32) -> (realUID: UInt32, processGroup: Int32)? {
        processes[pid].map { ($0.uid, $0.group) }
    }

    public func lookupUser(_ name: String) throws(RuntimeError) -> UserRecord {
        guard let user = users[name] else { throw RuntimeError(.generalFailure, "user \(name) not found") }
        return user
    }

    public func lookupGroup(_ name: String) throws(RuntimeError) -> UInt32 {
        guard let gid = groups[name] else { throw RuntimeError(.invalidConfigFile, "group \(name) not found") }
        return gid
    }

    public func requireSingleThreaded() throws(RuntimeError) {}
    public func softLimits() -> (openFiles: UInt64?, fileSize: UInt64?) { limits }

    // MARK: files

    public func fileStatus(_ path: String, code: ExitCode) throws(RuntimeError) -> FileStatus? {
        guard try parentDirectory(path, code) != nil || path == "/", let node = nodes[path] else { return nil }
        let kind: FileStatus.Kind = node.kind == .directory ? .directory : node.kind == .regular ? .regular : .symlink
        return FileStatus(kind: kind, uid: node.uid, gid: node.gid, mode: node.mode, size: Int64(node.bytes.count), device: 1,
                          inode: UInt64(abs(path.hashValue) % 1_000_000), links: 1)
    }

    public func pathExists(_ path: String) -> Bool { nodes[path] != nil }
    public func realPath(_ path: String) -> String? { nodes[path] == nil ? nil : path }
    public func readSymlink(_ path: String) -> String? { nodes[path]?.kind == .symlink ? nodes[path]?.target : nil }

    public func readFile(_ path: String, maxBytes: Int, code: ExitCode) throws(RuntimeError) -> [UInt8] {
        record("read", path)
        try injected("read", path)
        guard try parentDirectory(path, code) != nil, let node = nodes[path] else { throw fail(code, "open \(path): no such file or directory", 2) }
        guard node.kind == .regular else { throw fail(code, "\(path) is not a regular file", 40) }
        guard allowed(node, 0o4) else { throw fail(code, "open \(path): permission denied", 13) }
        guard node.bytes.count <= maxBytes else { throw fail(code, "\(path) is larger than \(maxBytes) bytes", 27) }
        return node.bytes
    }

    public func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: UInt32, owner: (UInt32, UInt32)?, code: ExitCode) throws(RuntimeError) {
        record("write", path)
        try injected("write", path)
        let dir = try writableParent(path, code)
        let gid = dir.mode & 0o2000 != 0 ? dir.gid : identity.gid
        nodes[path] = Node(kind: .regular, uid: owner?.0 ?? identity.uid, gid: owner?.1 ?? gid, mode: mode, bytes: bytes)
    }

    public func makeDirectory(_ path: String, mode: UInt32, owner: (UInt32, UInt32)?, code: ExitCode) throws(RuntimeError) -> LiveSystem.DirectoryOutcome {
        record("mkdir", path)
        try injected("mkdir", path)
        let dir = try writableParent(path, code)
        if let existing = nodes[path] {
            guard existing.kind == .directory else { throw fail(code, "open directory \(path): not a directory", 20) }
            return .existed
        }
        let inherited = dir.mode & 0o2000
        var node = Node(kind: .directory, uid: identity.uid, gid: inherited != 0 ? dir.gid : identity.gid, mode: (mode & 0o777) | inherited)
        if let owner { node.uid = owner.0; node.gid = owner.1 }
        if owner != nil || node.mode != mode {
            // chmod: the kernel drops setgid for a caller outside the file's group (and without CAP_FSETID).
            node.mode = identity.uid != 0 && !inGroup(node.gid) ? mode & ~0o2000 : mode
        }
        nodes[path] = node
        return .created
    }

    public func createFile(_ path: String, _ bytes: [UInt8], mode: UInt32, owner: (UInt32, UInt32)?, code: ExitCode) throws(RuntimeError) {
        record("create", path)
        try injected("create", path)
        let dir = try writableParent(path, code)
        guard nodes[path] == nil else { throw fail(code, "create \(path): file exists", 17) }
        let gid = dir.mode & 0o2000 != 0 ? dir.gid : identity.gid
        nodes[path] = Node(kind: .regular, uid: owner?.0 ?? identity.uid, gid: owner?.1 ?? gid, mode: mode, bytes: bytes)
    }

    public func createSymlink(_ target: String, at path: String, code: ExitCode) throws(RuntimeError) {
        record("symlink", path)
        _ = try writableParent(path, code)
        guard nodes[path] == nil else { throw fail(code, "symlink \(path): file exists", 17) }
        nodes[path] = Node(kind: .symlink, uid: identity.uid, gid: identity.gid, mode: 0o777, target: target)
    }

    public func removeFile(_ path: String, code: ExitCode) throws(RuntimeError) {
        record("unlink", path)
        _ = try writableParent(path, code)
        if nodes[path]?.kind != .directory { nodes[path] = nil }
    }

    public func removeEmptyDirectory(_ path: String, code: ExitCode) throws(RuntimeError) {
        record("rmdir", path)
        _ = try writableParent(path, code)
        guard nodes[path]?.kind == .directory, children(of: path).isEmpty else { return }
        nodes[path] = nil
    }

    public func removeTree(_ path: String, code: ExitCode) throws(RuntimeError) -> LiveSystem.RemoveReport {
        record("remove-tree", path)
        try injected("remove-tree", path)
        var report = LiveSystem.RemoveReport()
        guard try parentDirectory(path, code) != nil, nodes[path] != nil else { return report }
        _ = try writableParent(path, code)
        for key in nodes.keys where key == path || key.hasPrefix(path + "/") {
            nodes[key] = nil
            report.removed += 1
        }
        return report
    }

    private func children(of path: String) -> [String] {
        let prefix = path == "/" ? "/" : path + "/"
        return nodes.keys.filter { $0.hasPrefix(prefix) && $0 != path && !$0.dropFirst(prefix.count).contains("/") }
            .map { String($0.dropFirst(prefix.count)) }.sorted()
    }

    public func listDirectory(_ path: String, code: ExitCode) throws(RuntimeError) -> [String] {
        record("list", path)
        guard try parentDirectory(path, code) != nil, let node = nodes[path], node.kind == .directory else {
            throw fail(code, "open directory \(path): no such directory", 2)
        }
        guard allowed(node, 0o4) else { throw fail(code, "open directory \(path): permission denied", 13) }
        return children(of: path)
    }

    public func openForAppend(_ path: String, mode: UInt32, owner: (UInt32, UInt32)?, code: ExitCode) throws(RuntimeError) -> Int32 {
        record("open-append", path)
        try injected("open-append", path)
        if nodes[path] == nil {
            let dir = try writableParent(path, code)
            nodes[path] = Node(kind: .regular, uid: identity.uid, gid: dir.mode & 0o2000 != 0 ? dir.gid : identity.gid, mode: mode)
        }
        if let owner { nodes[path]?.uid = owner.0; nodes[path]?.gid = owner.1 }
        nextFD += 1
        fdPaths[nextFD] = path
        return nextFD
    }

    public func setOwner(of fd: Int32, to owner: (UInt32, UInt32), code: ExitCode) throws(RuntimeError) {
        let path = fdPaths[fd] ?? "fd \(fd)"
        record("chown", path)
        try injected("chown", path)
        nodes[path]?.uid = owner.0
        nodes[path]?.gid = owner.1
    }

    public func openDevNull() -> Int32 { nextFD += 1; fdPaths[nextFD] = "/dev/null"; return nextFD }
    public func closeDescriptor(_ fd: Int32) { fdPaths[fd] = nil }

    // MARK: processes

    public func spawn(_ request: SpawnRequest, code: ExitCode) throws(RuntimeError) -> Int32 {
        record("spawn", ([request.path] + request.arguments.dropFirst()).joined(separator: " "))
        try injected("spawn", request.path)
        nextPid += 1
        processes[nextPid] = (request.identity?.uid ?? identity.uid, request.newSession ? nextPid : 1)
        return nextPid
    }

    public func run(_ request: SpawnRequest, maxOutput: Int, code: ExitCode) throws(RuntimeError) -> (status: Int32, output: [UInt8]) {
        let pid = try spawn(request, code: code)
        processes[pid] = nil
        return (exitStatus[request.path] ?? 0, [])
    }

    public func waitForExit(_ pid: Int32) throws(RuntimeError) -> Int32 {
        record("wait", "\(pid)")
        processes[pid] = nil
        return 0
    }

    public func pollExit(_ pid: Int32) throws(RuntimeError) -> Int32? { processes[pid] == nil ? 0 : nil }

    public func sendSignal(_ signal: Int32, to pid: Int32) throws(RuntimeError) -> Bool {
        record("kill", "\(pid) \(signal)")
        return processes[abs(pid)] != nil
    }

    public func processExists(_ pid: Int32) -> Bool { processes[pid] != nil }
    public func currentPid() -> Int32 { 4242 }
    public func becomeSubreaper() throws(RuntimeError) {}
    public func ignoreHangupAndPipe() {}
    public func sleep(milliseconds: Int) { clock += UInt64(milliseconds) * 1_000_000 }
    public func monotonicNanoseconds() -> UInt64 { clock += 1; return clock }
    public func flushStandardStreams() {}
    public func writeStandardError(_ text: String) { record("stderr", text) }
    public func writeStandardOutput(_ text: String) { record("stdout", text) }

    // MARK: host facts

    public func nodename() -> String { "node1.test" }
    public func rootSymlinks() -> [String: String] { [:] }
    public func onlineCPUCount() -> Int { 4 }
    public func totalMemoryMiB() -> UInt64 { 16384 }
    public func mountPoints() -> [String] { ["/"] }
    public func executablePath() throws(RuntimeError) -> String { "/opt/hadoop/bin/kata-yarn-runtime" }
    public func threadCount() -> Int32 { 1 }
    public func capabilityNameIsValid(_ name: String) -> Bool { name.hasPrefix("CAP_") }
    public func effectiveIds() -> (uid: UInt32, gid: UInt32) { (identity.uid, identity.gid) }

    // MARK: mounts, namespaces, kernel settings, sockets, seccomp: not reached by the use cases under test

    private func unreachable(_ what: String) -> RuntimeError { RuntimeError(.generalFailure, "RecordingSystem: \(what) is not simulated") }

    public func mountSquashfs(_ file: String, at target: String, openAs user: (uid: UInt32, gid: UInt32, groups: [UInt32]), code: ExitCode) throws(RuntimeError) { throw unreachable("mount") }
    public func mountOverlay(lowers: [String], upper: String, work: String, at target: String, code: ExitCode) throws(RuntimeError) { throw unreachable("mount") }
    public func mountFilesystem(source: String, at target: String, type: String, options: String?, code: ExitCode) throws(RuntimeError) { throw unreachable("mount") }
    public func unmount(_ target: String, detach: Bool) throws(RuntimeError) { throw unreachable("unmount") }
    public func createNetworkNamespace(at path: String, code: ExitCode) throws(RuntimeError) { throw unreachable("netns") }
    public func removeNetworkNamespace(at path: String) throws(RuntimeError) { throw unreachable("netns") }
    public func inNetworkNamespace<R>(_ path: String, code: ExitCode, _ body: () throws(RuntimeError) -> R) throws(RuntimeError) -> R { throw unreachable("netns") }
    public func withFileLock<R>(_ path: String, code: ExitCode, _ body: () throws(RuntimeError) -> R) throws(RuntimeError) -> R {
        record("lock", path)
        return try body()
    }
    public func readKernelSetting(_ path: String) -> String? { nil }
    public func writeKernelSetting(_ path: String, _ value: String, code: ExitCode) throws(RuntimeError) { throw unreachable("sysctl") }
    public func interfaceIndex(_ name: String) -> UInt32? { nil }
    public func connectUnixSocket(_ path: String, code: ExitCode) throws(RuntimeError) -> Int32 { throw unreachable("sockets") }
    public func peerCredentials(_ fd: Int32, code: ExitCode) throws(RuntimeError) -> PeerCredentials { throw unreachable("sockets") }
    public func waitReadable(_ fd: Int32, timeoutMilliseconds: Int?, code: ExitCode) throws(RuntimeError) -> Bool { throw unreachable("sockets") }
    public func readSome(_ fd: Int32, maxBytes: Int, code: ExitCode) throws(RuntimeError) -> [UInt8] { throw unreachable("sockets") }
    public func sendAll(_ fd: Int32, _ bytes: [UInt8], code: ExitCode) throws(RuntimeError) { throw unreachable("sockets") }
    public func compileSeccomp(defaultAction: SeccompAction, defaultErrno: Int32, architectures: [String],
                               rules: [(names: [String], action: SeccompAction, errno: Int32, conditions: [LiveSystem.SeccompCondition])]) throws(RuntimeError) -> CompiledSeccomp {
        CompiledSeccomp(instructions: rules.count, unknownSyscalls: [])
    }
}
