import LinuxSystem
import RuntimeBase
import YarnContract

/// Hadoop's `check_nm_local_dir`, made strict. The local and log roots come from the NodeManager's argv, so a
/// hostile NM user picks them: each must be a directory reached without any symlink, owned by the NM uid, and
/// writable by nobody else (Hadoop's layout is 0755). Every path an operation then touches is derived beneath a
/// checked root. An operator calling as root may use roots of any owner; the other rules still hold.
struct NodeManagerRoots {
    let context: RuntimeContext

    func check(_ roots: [AbsolutePath], code: ExitCode) throws(RuntimeError) {
        guard !roots.isEmpty else { throw RuntimeError(code, "no NodeManager root directories given") }
        for root in roots { try check(root, code: code) }
    }

    func check(_ root: AbsolutePath, code: ExitCode) throws(RuntimeError) {
        let found: FileStatus?
        do { found = try context.system.fileStatus(root.value, code: code) } catch {
            throw RuntimeError(code, "NodeManager root \(root) must be reached without symlinks: \(error.message)", errno: error.errno)
        }
        guard let status = found else { throw RuntimeError(code, "NodeManager root \(root) does not exist") }
        guard status.kind == .directory else { throw RuntimeError(code, "NodeManager root \(root) is not a directory (symlinks are refused)") }
        let nm = context.nodeManagerUID
        guard nm == 0 || status.uid == nm else {
            throw RuntimeError(code, "NodeManager root \(root) is owned by uid \(status.uid), not by the NodeManager (uid \(nm))")
        }
        guard status.mode & 0o022 == 0 else {
            throw RuntimeError(code, "NodeManager root \(root) must not be group or other writable (mode \(String(status.mode, radix: 8)))")
        }
    }

    /// Targets of delete (3) and list (5): in the run-as user's part of Hadoop's layout, beneath a checked root.
    func checkUserPath(_ path: AbsolutePath, user: String, code: ExitCode) throws(RuntimeError) {
        guard let place = NodeManagerPaths.place(of: path, user: user) else {
            throw RuntimeError(code, "\(path) is outside every NodeManager root (<local>/usercache/\(user)/… or <log>/<application>/…)")
        }
        switch place {
        case .userCache(let root), .applicationLogs(let root): try check(root, code: code)
        }
    }
}
