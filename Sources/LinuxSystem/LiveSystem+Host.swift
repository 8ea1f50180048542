import CLinuxShim
import Glibc
import RuntimeBase

extension LiveSystem {
    public func nodename() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard kyr_uname_nodename(&buffer, buffer.count) == 0 else { return "localhost" }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Mount points of this mount namespace, from /proc/self/mountinfo (field 5, octal escapes decoded).
    public func mountPoints() -> [String] {
        guard let bytes = try? readFile("/proc/self/mountinfo", maxBytes: 16 << 20, code: .generalFailure) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count > 4 else { return nil }
            return Self.unescapeMountField(String(fields[4]))
        }
    }

    /// `\040` → space (the kernel escapes space, tab, newline and backslash in mountinfo).
    static func unescapeMountField(_ field: String) -> String {
        var out: [UInt8] = [], bytes = Array(field.utf8), i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count, let value = UInt8(String(decoding: bytes[i + 1...i + 3], as: UTF8.self), radix: 8) {
                out.append(value); i += 4
            } else { out.append(bytes[i]); i += 1 }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Online CPUs (what Kata compares a VM's vCPUs with).
    public func onlineCPUCount() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Total RAM in MiB (Kata's default_maxmemory=0 means this).
    public func totalMemoryMiB() -> UInt64 {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return 0 }
        return UInt64(pages) * UInt64(size) / (1 << 20)
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
