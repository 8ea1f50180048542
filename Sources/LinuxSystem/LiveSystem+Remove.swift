import CLinuxShim
import Glibc
import RuntimeBase

/// Recursive delete that cannot be steered outside the tree: every step is relative to an open directory fd,
/// nothing is followed (symlinks are unlinked, never traversed), a directory swapped for something else between
/// stat and open is detected by device/inode, and other filesystems (a leftover mount) are never entered.
extension LiveSystem {
    public struct RemoveReport: Sendable, Equatable {
        public var removed = 0
        public var failures: [String] = []
        public init() {}
    }

    /// Removes `path` (file, symlink or tree). A missing path is not an error (Hadoop's delete semantics).
    @discardableResult
    public func removeTree(_ path: String, code: ExitCode = .generalFailure) throws(RuntimeError) -> RemoveReport {
        var report = RemoveReport()
        guard path != "/" else { throw RuntimeError(code, "refusing to delete /") }
        var name = [CChar](repeating: 0, count: 256)
        let probe = kyr_open_parent(path, &name, name.count)
        if probe == -ENOENT { return report }   // the parent is gone, so the path is too
        if probe >= 0 { close(probe) }
        try withParent(path, code: code) { (dirfd, name) throws(RuntimeError) in
            var top = stat()
            guard fstatat(dirfd, name, &top, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT { return }
                throw RuntimeError(code, "stat \(path): \(Self.errnoText(errno))", errno: errno)
            }
            removeEntry(dirfd, name, display: path, expected: top, device: top.st_dev, depth: 0, report: &report)
        }
        if let first = report.failures.first {
            throw RuntimeError(code, "delete \(path): \(report.failures.count) entries not removed, first: \(first)")
        }
        return report
    }

    private func removeEntry(_ dirfd: Int32, _ name: String, display: String, expected: stat, device: dev_t, depth: Int,
                             report: inout RemoveReport) {
        if expected.st_mode & S_IFMT != S_IFDIR {
            if unlinkat(dirfd, name, 0) == 0 || errno == ENOENT { report.removed += 1 } else {
                report.failures.append("\(display): \(Self.errnoText(errno))")
            }
            return
        }
        guard depth < 256 else { report.failures.append("\(display): tree deeper than 256"); return }
        guard expected.st_dev == device else { report.failures.append("\(display): another filesystem is mounted here"); return }
        var fd = kyr_openat(dirfd, name, O_RDONLY | O_DIRECTORY, 0)
        if fd == -EACCES {   // a directory the user made unreadable: Hadoop chmods it to 0700 and retries
            _ = fchmodat(dirfd, name, 0o700, 0)
            fd = kyr_openat(dirfd, name, O_RDONLY | O_DIRECTORY, 0)
        }
        guard fd >= 0 else { report.failures.append("\(display): \(Self.errnoText(-fd))"); return }
        var opened = stat()
        guard fstat(fd, &opened) == 0, opened.st_dev == expected.st_dev, opened.st_ino == expected.st_ino else {
            close(fd)
            report.failures.append("\(display): changed while being deleted")
            return
        }
        let walkFD = dup(fd)
        let names = (try? Self.entries(of: walkFD, path: display, code: .generalFailure)) ?? []
        for child in names {
            var st = stat()
            guard fstatat(fd, child, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            removeEntry(fd, child, display: display + "/" + child, expected: st, device: device, depth: depth + 1, report: &report)
        }
        close(fd)
        if unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT { report.removed += 1 } else {
            report.failures.append("\(display): \(Self.errnoText(errno))")
        }
    }
}
