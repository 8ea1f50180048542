import CLinuxShim
import Glibc
import RuntimeBase

extension LiveSystem {
    /// Mounts a squashfs image file read-only at `target` through an auto-clearing loop device. The file is
    /// opened with the run-as user's identity (the user must be able to read the layer), then mounted as root.
    public func mountSquashfs(_ file: String, at target: String, openAs user: (uid: UInt32, gid: UInt32, groups: [UInt32]),
                              code: ExitCode) throws(RuntimeError) {
        let fd = try withIdentity(uid: user.uid, gid: user.gid, groups: user.groups) { () throws(RuntimeError) -> Int32 in
            try Self.check(kyr_open_nofollow(file, O_RDONLY, 0), code, "open image layer \(file) as uid \(user.uid)")
        }
        defer { close(fd) }
        var device = [CChar](repeating: 0, count: 64)
        let loop = try Self.check(kyr_loop_attach_fd(fd, &device, device.count), code, "attach \(file) to a loop device")
        defer { close(loop) }
        let name = device.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let flags = UInt(MS_RDONLY) | UInt(MS_NOSUID) | UInt(MS_NODEV)
        _ = try Self.check(kyr_mount(name, target, "squashfs", flags, nil), code, "mount \(file) at \(target)")
    }

    /// overlay: `lowers` (topmost first), a writable upper and work dir.
    public func mountOverlay(lowers: [String], upper: String, work: String, at target: String, code: ExitCode) throws(RuntimeError) {
        let options = "lowerdir=\(lowers.joined(separator: ":")),upperdir=\(upper),workdir=\(work)"
        let flags = UInt(MS_NOSUID) | UInt(MS_NODEV)
        _ = try Self.check(kyr_mount("overlay", target, "overlay", flags, options), code, "mount overlay at \(target)")
    }

    public func mountFilesystem(source: String, at target: String, type: String, options: String?, code: ExitCode) throws(RuntimeError) {
        _ = try Self.check(kyr_mount(source, target, type, 0, options), code, "mount \(type) at \(target)")
    }

    /// Unmounts `target` (never following a symlink); EINVAL/ENOENT (not mounted) are fine.
    public func unmount(_ target: String, detach: Bool = false) throws(RuntimeError) {
        let rc = kyr_umount(target, detach ? 1 : 0)
        if rc == 0 || rc == -EINVAL || rc == -ENOENT { return }
        throw RuntimeError(.generalFailure, "unmount \(target): \(Self.errnoText(-rc))", errno: -rc)
    }
}
