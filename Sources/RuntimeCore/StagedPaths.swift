import LinuxSystem
import RuntimeBase
import YarnContract

/// What one launch made on the NodeManager's disks, so that a launch failing before its container starts takes
/// it all back: newest first, files unlinked, directories removed only while empty (another container of the
/// same application may have put its own work beside ours in the meantime, and that stays).
struct StagedPaths {
    private var entries: [(path: AbsolutePath, directory: Bool)] = []

    mutating func record(_ path: AbsolutePath, directory: Bool, outcome: LiveSystem.DirectoryOutcome) {
        if outcome == .created { entries.append((path, directory)) }
    }

    /// True when this launch created `path`.
    func made(_ path: AbsolutePath) -> Bool { entries.contains { $0.path == path } }

    /// Removes every staged entry; returns what could not be removed (a non-empty directory is not a failure).
    func remove(_ system: any System) -> [RuntimeError] {
        var failures: [RuntimeError] = []
        for entry in entries.reversed() {
            do {
                if entry.directory {
                    try system.removeEmptyDirectory(entry.path.value, code: .generalFailure)
                } else {
                    try system.removeFile(entry.path.value, code: .generalFailure)
                }
            } catch { failures.append(error) }
        }
        return failures
    }
}
