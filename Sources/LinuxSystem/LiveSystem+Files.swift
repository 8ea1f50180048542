import CLinuxShim
import Glibc
import RuntimeBase

public struct FileStatus: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case directory, regular, symlink, other }
    public var kind: Kind
    public var uid: UInt32
    public var gid: UInt32
    /// Permission bits including setuid/setgid/sticky.
    public var mode: UInt32
    public var size: Int64
    public var device: UInt64
    public var inode: UInt64
    public var links: UInt64
    public init(kind: Kind, uid: UInt32, gid: UInt32, mode: UInt32, size: Int64, device: UInt64, inode: UInt64, links: UInt64) {
        self.kind = kind; self.uid = uid; self.gid = gid; self.mode = mode; self.size = size; self.device = device
        self.inode = inode; self.links = links
    }
}

/// Files under user-writable trees are reached through directory fds, never by following a symlink
/// (`kyr_open_nofollow`, `kyr_open_parent`), and created with O_EXCL so nothing pre-planted is reused.
extension LiveSystem {
    static func status(_ st: stat) -> FileStatus {
        let type = st.st_mode & S_IFMT
        let kind: FileStatus.Kind = type == S_IFDIR ? .directory : type == S_IFREG ? .regular : type == S_IFLNK ? .symlink : .other
        return FileStatus(kind: kind, uid: st.st_uid, gid: st.st_gid, mode: st.st_mode & 0o7777, size: Int64(st.st_size),
                          device: UInt64(st.st_dev), inode: UInt64(st.st_ino), links: UInt64(st.st_nlink))
    }

    /// Opens the parent directory of `path` without following symlinks and calls `body(dirfd, basename)`.
    func withParent<R>(_ path: String, code: ExitCode, _ body: (Int32, String) throws(RuntimeError) -> R) throws(RuntimeError) -> R {
        var name = [CChar](repeating: 0, count: 256)
        let dirfd = try Self.check(kyr_open_parent(path, &name, name.count), code, "open parent of \(path)")
        defer { close(dirfd) }
        let base = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return try body(dirfd, base)
    }

    /// lstat semantics for the last component; nil when it does not exist. Symlinked parents are an error.
    public func fileStatus(_ path: String, code: ExitCode = .generalFailure) throws(RuntimeError) -> FileStatus? {
        if path == "/" { var st = stat(); _ = fstatat(AT_FDCWD, "/", &st, 0); return Self.status(st) }
        var name = [CChar](repeating: 0, count: 256)
        let dirfd = kyr_open_parent(path, &name, name.count)
        if dirfd == -ENOENT { return nil }
        let fd = try Self.check(dirfd, code, "open parent of \(path)")
        defer { close(fd) }
        var st = stat()
        if fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 {
            if errno == ENOENT { return nil }
            throw RuntimeError(code, "stat \(path): \(Self.errnoText(errno))", errno: errno)
        }
        return Self.status(st)
    }

    /// Plain existence check for host facts (following symlinks, as a mount source would).
    public func pathExists(_ path: String) -> Bool {
        var st = stat()
        return fstatat(AT_FDCWD, path, &st, 0) == 0
    }

    public func readFile(_ path: String, maxBytes: Int, code: ExitCode) throws(RuntimeError) -> [UInt8] {
        // O_NONBLOCK: a FIFO in place of the file must not block a root process in open(); it is refused below.
        let fd = try Self.check(kyr_open_nofollow(path, O_RDONLY | O_NONBLOCK, 0), code, "open \(path)")
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { throw RuntimeError(code, "\(path) is not a regular file") }
        guard Int(st.st_size) <= maxBytes else { throw RuntimeError(code, "\(path) is larger than \(maxBytes) bytes") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw RuntimeError(code, "read \(path): \(Self.errnoText(errno))", errno: errno) }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > maxBytes { throw RuntimeError(code, "\(path) is larger than \(maxBytes) bytes") }
        }
        return bytes
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return errno }
            offset += n
        }
        return 0
    }

    /// Writes `<path>.tmp` (O_CREAT|O_EXCL|O_NOFOLLOW, `mode`) and renames it over `path`: readers see all or nothing.
    public func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: UInt32, owner: (UInt32, UInt32)? = nil,
                                    code: ExitCode) throws(RuntimeError) {
        try withParent(path, code: code) { (dirfd, name) throws(RuntimeError) in
            let tmp = name + ".tmp"
            var fd = kyr_openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL, mode)
            if fd == -EEXIST {   // a stale tmp from a crashed writer: only ever a regular file we may replace
                var st = stat()
                if fstatat(dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0, st.st_mode & S_IFMT == S_IFREG { unlinkat(dirfd, tmp, 0) }
                fd = kyr_openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL, mode)
            }
            let file = try Self.check(fd, code, "create \(path).tmp")
            var failure = Self.writeAll(file, bytes)
            if failure == 0, fchmod(file, mode) != 0 { failure = errno }
            if failure == 0, let owner, fchown(file, owner.0, owner.1) != 0 { failure = errno }
            close(file)
            if failure == 0, renameat(dirfd, tmp, dirfd, name) != 0 { failure = errno }
            if failure != 0 {
                unlinkat(dirfd, tmp, 0)
                throw RuntimeError(code, "write \(path): \(Self.errnoText(failure))", errno: failure)
            }
        }
    }

    public enum DirectoryOutcome: Sendable { case created, existed }

    /// mkdir without following symlinks; sets owner and exact mode (umask-independent) on a new directory.
    /// An existing directory is accepted only if it is a real directory (not a symlink). With an owner, the
    /// directory is built under a private name and renamed into place (RENAME_NOREPLACE), so a concurrent launch
    /// never sees it half made (root-owned, mode 0700) and two launches never both "create" it. Without an owner
    /// (made as the acting user) the mode is changed only where mkdir did not already give it: a chmod by a user
    /// outside the directory's group silently drops the setgid bit it inherited, and with it the NM group below.
    /// Whatever fails after the mkdir removes the new directory again.
    @discardableResult
    public func makeDirectory(_ path: String, mode: UInt32, owner: (UInt32, UInt32)?, code: ExitCode) throws(RuntimeError) -> DirectoryOutcome {
        try withParent(path, code: code) { (dirfd, name) throws(RuntimeError) in
            let staging = owner == nil ? name : ".kyr-new-\(getpid())-\(name)".prefix(255).description
            let initialMode: mode_t = owner == nil ? mode & 0o777 : 0o700
            if mkdirat(dirfd, staging, initialMode) != 0 {
                guard errno == EEXIST else { throw RuntimeError(code, "mkdir \(path): \(Self.errnoText(errno))", errno: errno) }
                if owner == nil { return try Self.openExisting(dirfd, name, path, code) }
                _ = unlinkat(dirfd, staging, AT_REMOVEDIR)   // debris of a crashed launcher with our pid
                guard mkdirat(dirfd, staging, initialMode) == 0 else { throw RuntimeError(code, "mkdir \(path): \(Self.errnoText(errno))", errno: errno) }
            }
            let fd = kyr_openat(dirfd, staging, O_RDONLY | O_DIRECTORY, 0)
            var failure: Int32 = fd < 0 ? -fd : 0
            if failure == 0, let owner, fchown(fd, owner.0, owner.1) != 0 { failure = errno }
            if failure == 0 {
                var st = stat()
                if fstat(fd, &st) != 0 { failure = errno } else if owner != nil || st.st_mode & 0o7777 != mode, fchmod(fd, mode) != 0 { failure = errno }
            }
            if fd >= 0 { close(fd) }
            if failure != 0 {
                _ = unlinkat(dirfd, staging, AT_REMOVEDIR)
                throw RuntimeError(code, "set owner and mode of \(path): \(Self.errnoText(failure))", errno: failure)
            }
            guard owner != nil else { return .created }
            let rc = kyr_rename_noreplace(dirfd, staging, name)
            if rc == 0 { return .created }
            _ = unlinkat(dirfd, staging, AT_REMOVEDIR)
            guard rc == -EEXIST else { throw RuntimeError(code, "rename into \(path): \(Self.errnoText(-rc))", errno: -rc) }
            return try Self.openExisting(dirfd, name, path, code)
        }
    }

    static func openExisting(_ dirfd: Int32, _ name: String, _ path: String, _ code: ExitCode) throws(RuntimeError) -> DirectoryOutcome {
        let fd = try check(kyr_openat(dirfd, name, O_RDONLY | O_DIRECTORY, 0), code, "open directory \(path)")
        close(fd)
        return .existed
    }

    /// Creates a new file (O_CREAT|O_EXCL|O_NOFOLLOW): fails if anything, a planted symlink included, is there.
    public func createFile(_ path: String, _ bytes: [UInt8], mode: UInt32, owner: (UInt32, UInt32)?, code: ExitCode) throws(RuntimeError) {
        try withParent(path, code: code) { (dirfd, name) throws(RuntimeError) in
            let fd = try Self.check(kyr_openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, mode), code, "create \(path)")
            var failure = Self.writeAll(fd, bytes)
            if failure == 0, fchmod(fd, mode) != 0 { failure = errno }
            if failure == 0, let owner, fchown(fd, owner.0, owner.1) != 0 { failure = errno }
            close(fd)
            if failure != 0 {
                unlinkat(dirfd, name, 0)
                throw RuntimeError(code, "write \(path): \(Self.errnoText(failure))", errno: failure)
            }
        }
    }

    public func createSymlink(_ target: String, at path: String, code: ExitCode) throws(RuntimeError) {
        try withParent(path, code: code) { (dirfd, name) throws(RuntimeError) in
            if symlinkat(target, dirfd, name) != 0 { throw RuntimeError(code, "symlink \(path): \(Self.errnoText(errno))", errno: errno) }
        }
    }

    public func readSymlink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buffer, 4096)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func removeFile(_ path: String, code: ExitCode) throws(RuntimeError) {
        try withParent(path, code: code) { (dirfd, name) throws(RuntimeError) in
            if unlinkat(dirfd, name, 0) != 0, errno != ENOENT {
                throw RuntimeError(code, "unlink \(path): \(Self.errnoText(errno))", errno: errno)
            }
        }
    }

    /// rmdir without following symlinks. Gone already, or not empty, is not an error: the caller only takes back
    /// what is still exactly what it made.
    public func removeEmptyDirectory(_ path: String, code: ExitCode) throws(RuntimeError) {
        try withParent(path, code: code) { (dirfd, name) throws(RuntimeError) in
            if unlinkat(dirfd, name, AT_REMOVEDIR) != 0, errno != ENOENT, errno != ENOTEMPTY, errno != EEXIST {
                throw RuntimeError(code, "rmdir \(path): \(Self.errnoText(errno))", errno: errno)
            }
        }
    }

    public func listDirectory(_ path: String, code: ExitCode) throws(RuntimeError) -> [String] {
        let fd = try Self.check(kyr_open_nofollow(path, O_RDONLY | O_DIRECTORY, 0), code, "open directory \(path)")
        return try Self.entries(of: fd, path: path, code: code)
    }

    /// Reads all names of an open directory; consumes (closes) `fd`.
    static func entries(of fd: Int32, path: String, code: ExitCode) throws(RuntimeError) -> [String] {
        guard let dir = fdopendir(fd) else { close(fd); throw RuntimeError(code, "read directory \(path): \(errnoText(errno))", errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
