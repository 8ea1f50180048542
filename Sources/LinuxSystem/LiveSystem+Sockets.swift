import Glibc
import RuntimeBase

/// Who is at the other end of a Unix socket (SO_PEERCRED), as the kernel saw it at connect time.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
}

/// Blocking Unix stream sockets for the ttrpc client. Every read is preceded by a poll with the caller's
/// deadline, so a silent peer can stall a call only as long as the caller allows.
extension LiveSystem {
    /// socket + connect to `path` (a filesystem socket, or `@name` for the abstract namespace). CLOEXEC, blocking.
    public func connectUnixSocket(_ path: String, code: ExitCode) throws(RuntimeError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.dropFirst().contains(0) else {
            throw RuntimeError(code, "socket path is empty or longer than \(capacity - 1) bytes: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RuntimeError(code, "socket for \(path): \(Self.errnoText(errno))", errno: errno) }
        // The abstract namespace counts exactly the name's bytes; a filesystem path includes its NUL.
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        var rc: Int32
        repeat {
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
            }
        } while rc != 0 && errno == EINTR
        if rc != 0 {
            let failure = errno
            close(fd)
            throw RuntimeError(code, "connect to \(path): \(Self.errnoText(failure))", errno: failure)
        }
        return fd
    }

    public func peerCredentials(_ fd: Int32, code: ExitCode) throws(RuntimeError) -> PeerCredentials {
        // struct ucred {pid_t; uid_t; gid_t} (Glibc's module hides it behind _GNU_SOURCE): three packed 32-bit ints.
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, length == 12 else {
            throw RuntimeError(code, "read peer credentials: \(Self.errnoText(errno))", errno: errno)
        }
        return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }

    /// Waits until `fd` has data or EOF. nil timeout waits forever. False when the time ran out.
    public func waitReadable(_ fd: Int32, timeoutMilliseconds: Int?, code: ExitCode) throws(RuntimeError) -> Bool {
        let deadline = timeoutMilliseconds.map { monotonicNanoseconds() + UInt64(max($0, 0)) * 1_000_000 }
        while true {
            var remaining: Int32 = -1
            if let deadline {
                let now = monotonicNanoseconds()
                // Round up: a poll of 0 ms for 0.4 ms left would spin instead of sleeping.
                remaining = now >= deadline ? 0 : Int32(clamping: (deadline - now + 999_999) / 1_000_000)
            }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let rc = poll(&entry, 1, remaining)
            if rc > 0 { return true }   // POLLIN, POLLHUP or POLLERR: the next read reports which
            if rc == 0 { if remaining == 0 { return false }; continue }
            if errno == EINTR { continue }
            throw RuntimeError(code, "poll: \(Self.errnoText(errno))", errno: errno)
        }
    }

    /// One read of at most `maxBytes`; an empty result means the peer closed the connection.
    public func readSome(_ fd: Int32, maxBytes: Int, code: ExitCode) throws(RuntimeError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max(maxBytes, 1))
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n >= 0 { return Array(buffer[0..<n]) }
            if errno == EINTR { continue }
            if errno == ECONNRESET { return [] }
            throw RuntimeError(code, "read from socket: \(Self.errnoText(errno))", errno: errno)
        }
    }

    /// Writes every byte (MSG_NOSIGNAL: a vanished peer is an error here, not a SIGPIPE).
    public func sendAll(_ fd: Int32, _ bytes: [UInt8], code: ExitCode) throws(RuntimeError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RuntimeError(code, "write to socket: \(Self.errnoText(errno))", errno: errno)
            }
            offset += n
        }
    }

    public func effectiveIds() -> (uid: UInt32, gid: UInt32) { (geteuid(), getegid()) }
}
