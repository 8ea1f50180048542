import CLinuxShim
import Glibc
import RuntimeBase

extension LiveSystem {
    /// Creates a network namespace bound at `path` (a new file; fails if it exists). We stay in our own.
    public func createNetworkNamespace(at path: String, code: ExitCode) throws(RuntimeError) {
        _ = try Self.check(kyr_netns_create(path), code, "create network namespace \(path)")
    }

    /// Unmounts (detached) and removes a namespace file; a missing or unmounted file is fine.
    public func removeNetworkNamespace(at path: String) throws(RuntimeError) {
        try unmount(path, detach: true)
        if unlink(path) != 0 && errno != ENOENT {
            throw RuntimeError(.generalFailure, "remove \(path): \(Self.errnoText(errno))", errno: errno)
        }
    }

    /// Runs `body` inside the network namespace bound at `path` (helpers spawned meanwhile start there), then
    /// returns to ours. Safe because the launcher is single-threaded.
    public func inNetworkNamespace<R>(_ path: String, code: ExitCode, _ body: () throws(RuntimeError) -> R) throws(RuntimeError) -> R {
        let original = try Self.check(kyr_netns_enter(path), code, "enter network namespace \(path)")
        let result: Result<R, RuntimeError>
        do { result = .success(try body()) } catch { result = .failure(error) }
        let rc = kyr_netns_restore(original)
        guard rc == 0 else { throw RuntimeError(code, "return from network namespace \(path): \(Self.errnoText(-rc))", errno: -rc) }
        return try result.get()
    }

    /// flock(LOCK_EX) on `path` (created root-only) for the duration of `body`.
    public func withFileLock<R>(_ path: String, code: ExitCode, _ body: () throws(RuntimeError) -> R) throws(RuntimeError) -> R {
        let fd = try Self.check(kyr_lock_file(path), code, "lock \(path)")
        defer { kyr_unlock_file(fd) }
        return try body()
    }

    /// A /proc/sys knob's value, its first line without the newline; nil when it cannot be read.
    public func readKernelSetting(_ path: String) -> String? {
        guard let bytes = try? readFile(path, maxBytes: 64, code: .generalFailure) else { return nil }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }

    /// Writes a small value into an existing kernel file (a /proc/sys knob); never creates anything.
    public func writeKernelSetting(_ path: String, _ value: String, code: ExitCode) throws(RuntimeError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw RuntimeError(code, "open \(path): \(Self.errnoText(errno))", errno: errno) }
        defer { close(fd) }
        let failure = Self.writeAll(fd, Array(value.utf8))
        if failure != 0 { throw RuntimeError(code, "write \(path): \(Self.errnoText(failure))", errno: failure) }
    }
}

extension LiveSystem {
    /// The index of interface `name` in the current network namespace, nil when there is none. (sysfs may show
    /// another namespace's devices, so it is asked of the kernel through a socket of this namespace.)
    public func interfaceIndex(_ name: String) -> UInt32? {
        let index = if_nametoindex(name)
        return index == 0 ? nil : index
    }
}
