import CLinuxShim
import Glibc
import RuntimeBase

extension LiveSystem {
    public func nodename() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard kyr_uname_nodename(&buffer, buffer.count) == 0 else { return "localhost" }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Top-level symlinks of `/` (merged /usr: bin → usr/bin …), to mirror in a host-view rootfs.
    public func rootSymlinks() -> [String: String] {
        var links: [String: String] = [:]
        for name in ["bin", "sbin", "lib", "lib32", "lib64", "libx32"] {
            guard let status = try? fileStatus("/" + name), status.kind == .symlink, let target = readSymlink("/" + name) else { continue }
            // Only relative links into /usr are mirrored; anything else is not what a host view should copy.
            if target.hasPrefix("usr/") && !target.contains("..") { links[name] = target }
        }
        return links
    }

    /// Absolute path of this executable from /proc/self/exe (never argv[0]).
    public func executablePath() throws(RuntimeError) -> String {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink("/proc/self/exe", &buffer, 4096)
        guard n > 0 else { throw RuntimeError(.invalidContainerExecPermissions, "cannot read /proc/self/exe: \(Self.errnoText(errno))") }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public func threadCount() -> Int32 { kyr_thread_count() }

    public func capabilityNameIsValid(_ name: String) -> Bool { kyr_cap_valid_name(name) == 1 }

    /// Soft limits on open files and on the size of a written file (nil: unlimited).
    public func softLimits() -> (openFiles: UInt64?, fileSize: UInt64?) {
        func soft(_ resource: __rlimit_resource_t) -> UInt64? {
            var limit = rlimit()
            guard getrlimit(resource, &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }   // RLIM_INFINITY
            return UInt64(limit.rlim_cur)
        }
        return (soft(__rlimit_resource_t(RLIMIT_NOFILE.rawValue)), soft(__rlimit_resource_t(RLIMIT_FSIZE.rawValue)))
    }
}
