import RuntimeBase

/// Every system call the use cases and drivers may make, as one protocol: `LiveSystem` is the machine, and a
/// recording fake (Tests/SystemFake) lets unit tests prove the order of privileged steps and the identity each
/// one runs under, in milliseconds and without root. Errors carry the Hadoop exit code of the operation.
public protocol System: Sendable {
    // Identity
    func caller() -> CallerIdentity
    func callerIsInGroup(_ gid: UInt32) -> Bool
    func becomeRoot() throws(RuntimeError)
    /// Runs `body` with every uid, gid and group of the given identity, then returns to root (or ends the process).
    func withIdentity<R>(uid: UInt32, gid: UInt32, groups: [UInt32], _ body: () throws(RuntimeError) -> R) throws(RuntimeError) -> R
    func signalAsUser(uid: UInt32, gid: UInt32, groups: [UInt32], pid: Int32, signal: Int32) throws(RuntimeError) -> ExitCode
    func processOwner(_ pid: Int32) -> (realUID: UInt32, processGroup: Int32)?
    func lookupUser(_ name: String) throws(RuntimeError) -> UserRecord
    func lookupGroup(_ name: String) throws(RuntimeError) -> UInt32
    func requireSingleThreaded() throws(RuntimeError)
    func softLimits() -> (openFiles: UInt64?, fileSize: UInt64?)

    // Files (never following a symlink where a user could plant one)
    func fileStatus(_ path: String, code: ExitCode) throws(RuntimeError) -> FileStatus?
    func pathExists(_ path: String) -> Bool
    func realPath(_ path: String) -> String?
    func readSymlink(_ path: String) -> String?
    func readFile(_ path: String, maxBytes: Int, code: ExitCode) throws(RuntimeError) -> [UInt8]
    func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: UInt32, owner: (UInt32, UInt32)?, code: ExitCode) throws(RuntimeError)
    @discardableResult
    func makeDirectory(_ path: String, mode: UInt32, owner: (UInt32, UInt32)?, code: ExitCode) throws(RuntimeError) -> LiveSystem.DirectoryOutcome
    func createFile(_ path: String, _ bytes: [UInt8], mode: UInt32, owner: (UInt32, UInt32)?, code: ExitCode) throws(RuntimeError)
    func createSymlink(_ target: String, at path: String, code: ExitCode) throws(RuntimeError)
    func removeFile(_ path: String, code: ExitCode) throws(RuntimeError)
    func removeEmptyDirectory(_ path: String, code: ExitCode) throws(RuntimeError)
    @discardableResult
    func removeTree(_ path: String, code: ExitCode) throws(RuntimeError) -> LiveSystem.RemoveReport
    func listDirectory(_ path: String, code: ExitCode) throws(RuntimeError) -> [String]
    func openForAppend(_ path: String, mode: UInt32, owner: (UInt32, UInt32)?, code: ExitCode) throws(RuntimeError) -> Int32
    func setOwner(of fd: Int32, to owner: (UInt32, UInt32), code: ExitCode) throws(RuntimeError)
    func openDevNull() -> Int32
    func closeDescriptor(_ fd: Int32)

    // Processes
    func spawn(_ request: SpawnRequest, code: ExitCode) throws(RuntimeError) -> Int32
    func run(_ request: SpawnRequest, maxOutput: Int, code: ExitCode) throws(RuntimeError) -> (status: Int32, output: [UInt8])
    func waitForExit(_ pid: Int32) throws(RuntimeError) -> Int32
    func pollExit(_ pid: Int32) throws(RuntimeError) -> Int32?
    func sendSignal(_ signal: Int32, to pid: Int32) throws(RuntimeError) -> Bool
    func processExists(_ pid: Int32) -> Bool
    func currentPid() -> Int32
    func becomeSubreaper() throws(RuntimeError)
    func ignoreHangupAndPipe()
    func sleep(milliseconds: Int)
    func monotonicNanoseconds() -> UInt64
    func flushStandardStreams()
    func writeStandardError(_ text: String)
    func writeStandardOutput(_ text: String)

    // Host facts
    func nodename() -> String
    func rootSymlinks() -> [String: String]
    /// Online CPUs, total RAM in MiB, and this mount namespace's mount points (Kata's preflight and bundle).
    func onlineCPUCount() -> Int
    func totalMemoryMiB() -> UInt64
    func mountPoints() -> [String]
    func executablePath() throws(RuntimeError) -> String
    func threadCount() -> Int32
    func capabilityNameIsValid(_ name: String) -> Bool
    func effectiveIds() -> (uid: UInt32, gid: UInt32)

    // Mounts, namespaces, kernel settings, sockets, seccomp
    func mountSquashfs(_ file: String, at target: String, openAs user: (uid: UInt32, gid: UInt32, groups: [UInt32]), code: ExitCode) throws(RuntimeError)
    func mountOverlay(lowers: [String], upper: String, work: String, at target: String, code: ExitCode) throws(RuntimeError)
    func mountFilesystem(source: String, at target: String, type: String, options: String?, code: ExitCode) throws(RuntimeError)
    func unmount(_ target: String, detach: Bool) throws(RuntimeError)
    func createNetworkNamespace(at path: String, code: ExitCode) throws(RuntimeError)
    func removeNetworkNamespace(at path: String) throws(RuntimeError)
    func inNetworkNamespace<R>(_ path: String, code: ExitCode, _ body: () throws(RuntimeError) -> R) throws(RuntimeError) -> R
    func withFileLock<R>(_ path: String, code: ExitCode, _ body: () throws(RuntimeError) -> R) throws(RuntimeError) -> R
    func readKernelSetting(_ path: String) -> String?
    func writeKernelSetting(_ path: String, _ value: String, code: ExitCode) throws(RuntimeError)
    func interfaceIndex(_ name: String) -> UInt32?
    func connectUnixSocket(_ path: String, code: ExitCode) throws(RuntimeError) -> Int32
    func peerCredentials(_ fd: Int32, code: ExitCode) throws(RuntimeError) -> PeerCredentials
    func waitReadable(_ fd: Int32, timeoutMilliseconds: Int?, code: ExitCode) throws(RuntimeError) -> Bool
    func readSome(_ fd: Int32, maxBytes: Int, code: ExitCode) throws(RuntimeError) -> [UInt8]
    func sendAll(_ fd: Int32, _ bytes: [UInt8], code: ExitCode) throws(RuntimeError)
    func compileSeccomp(defaultAction: SeccompAction, defaultErrno: Int32, architectures: [String],
                        rules: [(names: [String], action: SeccompAction, errno: Int32, conditions: [LiveSystem.SeccompCondition])]) throws(RuntimeError) -> CompiledSeccomp
}

/// The defaults callers rely on.
extension System {
    public func fileStatus(_ path: String) throws(RuntimeError) -> FileStatus? { try fileStatus(path, code: .generalFailure) }
    @discardableResult
    public func removeTree(_ path: String) throws(RuntimeError) -> LiveSystem.RemoveReport { try removeTree(path, code: .generalFailure) }
    public func run(_ request: SpawnRequest, code: ExitCode) throws(RuntimeError) -> (status: Int32, output: [UInt8]) {
        try run(request, maxOutput: 1 << 20, code: code)
    }
    public func unmount(_ target: String) throws(RuntimeError) { try unmount(target, detach: false) }
    public func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: UInt32, code: ExitCode) throws(RuntimeError) {
        try writeFileAtomically(path, bytes, mode: mode, owner: nil, code: code)
    }
}

extension LiveSystem: System {}
