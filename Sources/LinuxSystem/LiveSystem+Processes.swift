import CLinuxShim
import Glibc
import RuntimeBase

public struct SpawnRequest: Sendable {
    public var path: String
    public var arguments: [String]
    public var environment: [String]
    /// fdMap[i] becomes fd i in the child; -1 means /dev/null.
    public var fdMap: [Int32]
    public var workingDirectory: String?
    public var newSession: Bool
    /// Drop to these ids (setgroups → setresgid → setresuid) before exec.
    public var identity: (uid: UInt32, gid: UInt32, groups: [UInt32])?
    public var dropCapabilities: Bool
    public var noNewPrivileges: Bool
    public var ignoreHangup: Bool
    /// nil: inherit ours (027).
    public var umask: UInt32?
    /// Run in a private mount namespace whose /proc/sys/net is empty (runsc's netstack in a routed namespace).
    public var maskProcSysNet = false

    public init(path: String, arguments: [String], environment: [String], fdMap: [Int32] = [-1, 2, 2],
                workingDirectory: String? = nil, newSession: Bool = false, identity: (uid: UInt32, gid: UInt32, groups: [UInt32])? = nil,
                dropCapabilities: Bool = false, noNewPrivileges: Bool = false, ignoreHangup: Bool = false, umask: UInt32? = nil) {
        self.umask = umask
        self.path = path; self.arguments = arguments; self.environment = environment; self.fdMap = fdMap
        self.workingDirectory = workingDirectory; self.newSession = newSession; self.identity = identity
        self.dropCapabilities = dropCapabilities; self.noNewPrivileges = noNewPrivileges; self.ignoreHangup = ignoreHangup
    }
}

extension LiveSystem {
    static let spawnStages = [1: "signals", 2: "fd map", 3: "setsid", 4: "chdir", 5: "setgroups", 6: "setresgid",
                              7: "setresuid", 8: "capabilities", 9: "no_new_privs", 10: "mask /proc/sys/net", 11: "exec"]

    /// fork + execve in C (no Swift runs in the child). Returns the child's pid.
    public func spawn(_ request: SpawnRequest, code: ExitCode) throws(RuntimeError) -> Int32 {
        flushStandardStreams()
        let groups = request.identity?.groups ?? []
        let pid: pid_t = request.arguments.withCStringArray { argv in
            request.environment.withCStringArray { envp in
                request.fdMap.withUnsafeBufferPointer { fds in
                    groups.withUnsafeBufferPointer { groupBuffer in
                        let run = { (cwd: UnsafePointer<CChar>?) -> pid_t in
                            var attr = kyr_spawn_attr()
                            attr.argv = UnsafeRawPointer(argv).assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self)
                            attr.envp = UnsafeRawPointer(envp).assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self)
                            attr.fd_map = fds.baseAddress
                            attr.fd_count = Int32(fds.count)
                            attr.cwd = cwd
                            attr.new_session = request.newSession ? 1 : 0
                            if let identity = request.identity {
                                attr.drop_ids = 1
                                attr.uid = identity.uid
                                attr.gid = identity.gid
                                attr.groups = groupBuffer.baseAddress
                                attr.ngroups = groupBuffer.count
                            }
                            attr.drop_caps = request.dropCapabilities ? 1 : 0
                            attr.no_new_privs = request.noNewPrivileges ? 1 : 0
                            attr.ignore_hup = request.ignoreHangup ? 1 : 0
                            attr.umask = request.umask.map { Int32($0) } ?? -1
                            attr.mask_proc_sys_net = request.maskProcSysNet ? 1 : 0
                            return request.path.withCString { path in
                                attr.path = path
                                return kyr_spawn(&attr)
                            }
                        }
                        if let cwd = request.workingDirectory { return cwd.withCString { run($0) } }
                        return run(nil)
                    }
                }
            }
        }
        if pid < 0 {
            let value = -pid
            if value >= 1000 {
                let stage = Self.spawnStages[Int(value / 1000)] ?? "stage \(value / 1000)"
                throw RuntimeError(code, "start \(request.path): \(stage) failed: \(Self.errnoText(value % 1000))", errno: value % 1000, stage: stage)
            }
            throw RuntimeError(code, "fork for \(request.path): \(Self.errnoText(value))", errno: value)
        }
        return pid
    }

    /// Blocks until `pid` exits; returns its status (128+signal for a signal death).
    public func waitForExit(_ pid: Int32) throws(RuntimeError) -> Int32 {
        var status: Int32 = 0
        _ = try Self.check(kyr_wait(pid, &status, 0), .generalFailure, "wait for \(pid)")
        return status
    }

    /// Non-blocking: the status if `pid` has exited, nil if it still runs.
    public func pollExit(_ pid: Int32) throws(RuntimeError) -> Int32? {
        var status: Int32 = 0
        let rc = try Self.check(kyr_wait(pid, &status, 1), .generalFailure, "poll \(pid)")
        return rc == 0 ? nil : status
    }

    /// Runs a helper to completion, collecting its stdout (bounded) through a pipe.
    public func run(_ request: SpawnRequest, maxOutput: Int = 1 << 20, code: ExitCode) throws(RuntimeError) -> (status: Int32, output: [UInt8]) {
        var fds: [Int32] = [-1, -1]
        guard kyr_pipe_cloexec(&fds) == 0 else { throw RuntimeError(code, "pipe: \(Self.errnoText(errno))", errno: errno) }
        var child = request
        child.fdMap = [request.fdMap.first ?? -1, fds[1]] + Array(request.fdMap.dropFirst(2))
        if child.fdMap.count < 3 { child.fdMap.append(2) }
        let pid: Int32
        do { pid = try spawn(child, code: code) } catch { close(fds[0]); close(fds[1]); throw error }
        close(fds[1])
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if output.count < maxOutput { output.append(contentsOf: chunk[0..<min(n, maxOutput - output.count)]) }
        }
        close(fds[0])
        return (try waitForExit(pid), output)
    }

    /// kill(2); returns false for ESRCH (no such process).
    public func sendSignal(_ signal: Int32, to pid: Int32) throws(RuntimeError) -> Bool {
        if Glibc.kill(pid, signal) == 0 { return true }
        if errno == ESRCH { return false }
        throw RuntimeError(.unableToSignalContainer, "signal \(signal) to \(pid): \(Self.errnoText(errno))", errno: errno)
    }

    public func processExists(_ pid: Int32) -> Bool { pid > 0 && (Glibc.kill(pid, 0) == 0 || errno == EPERM) }

    public func currentPid() -> Int32 { getpid() }

    public func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// Monotonic clock in nanoseconds.
    public func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Children of ours orphaned by a runtime (its init, a shim) are reparented to us, so we can reap them.
    public func becomeSubreaper() throws(RuntimeError) {
        _ = try Self.check(kyr_set_subreaper(), .generalFailure, "set child subreaper")
    }

    /// The launcher must outlive a NodeManager restart: its pipes closing (SIGPIPE) or its session ending
    /// (SIGHUP) must not kill us before the exit-code file is written.
    public func ignoreHangupAndPipe() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
    }

    public func flushStandardStreams() { fflush(nil) }

    public func writeStandardError(_ text: String) {
        var bytes = Array(text.utf8)
        if bytes.last != 10 { bytes.append(10) }
        _ = Self.writeAll(2, bytes)
    }

    public func writeStandardOutput(_ text: String) {
        var bytes = Array(text.utf8)
        if bytes.last != 10 { bytes.append(10) }
        _ = Self.writeAll(1, bytes)
    }

    /// Opens (creating as needed) a file for appending, without following symlinks; for container stdio.
    public func openForAppend(_ path: String, mode: UInt32, owner: (UInt32, UInt32)?, code: ExitCode) throws(RuntimeError) -> Int32 {
        // O_NONBLOCK: the file may sit in a tenant-owned log dir, and opening a planted FIFO for writing would block
        // this root process forever; with it the open fails (ENXIO) or the type check below refuses the FIFO.
        let fd = try Self.check(kyr_open_nofollow(path, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK, mode), code, "open \(path)")
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_nlink == 1 else {
            close(fd)
            throw RuntimeError(code, "\(path) is not a plain file")
        }
        _ = fcntl(fd, F_SETFL, O_WRONLY | O_APPEND)
        if let owner, st.st_uid != owner.0 || st.st_gid != owner.1, fchown(fd, owner.0, owner.1) != 0 {
            let failure = errno
            close(fd)
            throw RuntimeError(code, "set owner of \(path): \(Self.errnoText(failure))", errno: failure)
        }
        return fd
    }

    /// fchown on an fd we hold (runsc hands the stdio files it was given to root; we give them back).
    public func setOwner(of fd: Int32, to owner: (UInt32, UInt32), code: ExitCode) throws(RuntimeError) {
        if fchown(fd, owner.0, owner.1) != 0 { throw RuntimeError(code, "set owner of fd \(fd): \(Self.errnoText(errno))", errno: errno) }
    }

    public func openDevNull() -> Int32 { open("/dev/null", O_RDWR | O_CLOEXEC) }

    public func closeDescriptor(_ fd: Int32) { if fd >= 0 { close(fd) } }
}
