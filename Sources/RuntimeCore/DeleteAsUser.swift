import LinuxSystem
import RuntimeBase
import YarnContract

/// Operation 3 (Hadoop's `delete_as_user`): deletes a path, or `<base>/<subdir>` for each existing base dir,
/// with the user's identity, so the kernel allows exactly what the user could delete. Nothing is followed: a
/// symlink or hard link inside the tree is unlinked, never traversed, and a directory swapped during the walk is
/// detected. Missing paths are not errors. With an empty subdir the base dir itself goes, its final rmdir as the
/// NodeManager (whose directory holds it). Every target must lie in the user's part of Hadoop's layout beneath a
/// checked NodeManager root (`NodeManagerRoots.checkUserPath`): nothing else on the node can be named.
public struct DeleteAsUser {
    let context: RuntimeContext

    public init(context: RuntimeContext) { self.context = context }

    public func run(users: UserPair, subdirectory: String, baseDirectories: [String]) throws(RuntimeError) -> Int32 {
        let system = context.system
        let user = try UserPolicy.validate(users.runAsUser, in: context)
        let roots = NodeManagerRoots(context: context)
        let asUser = { (path: AbsolutePath) throws(RuntimeError) in
            try roots.checkUserPath(path, user: users.yarnUser.value, code: .generalFailure)
            try system.withIdentity(uid: user.uid, gid: user.gid, groups: user.groups) { () throws(RuntimeError) in
                _ = try system.removeTree(path.value, code: .generalFailure)
            }
        }
        if baseDirectories.isEmpty {
            guard !subdirectory.isEmpty else { throw RuntimeError(.pathToDeleteIsNull, "path to delete is empty") }
            try asUser(try AbsolutePath(subdirectory, code: .generalFailure))
            return 0
        }
        let relative = subdirectory.split(separator: "/").map(String.init)
        guard !subdirectory.hasPrefix("/"), !relative.contains(".."), !relative.contains(".") else {
            throw RuntimeError(.generalFailure, "subdir must be relative without '..': \(Redact.short(subdirectory))")
        }
        var failure: RuntimeError?
        for raw in baseDirectories {
            let base = try AbsolutePath(raw, code: .generalFailure)
            guard let status = try system.fileStatus(base.value) else { continue }   // a missing base is skipped
            do throws(RuntimeError) {
                if status.kind != .directory {
                    guard relative.isEmpty else { throw RuntimeError(.generalFailure, "base dir \(base) is a file and cannot contain \(Redact.short(subdirectory))") }
                    try asUser(base)
                    continue
                }
                var target = base
                for part in relative { target = try target.appending(part) }
                if relative.isEmpty {
                    try roots.checkUserPath(base, user: users.yarnUser.value, code: .generalFailure)
                    try removeContents(of: base, user: user)
                    _ = try context.asNodeManager { () throws(RuntimeError) in try system.removeTree(base.value, code: .generalFailure) }
                } else {
                    try asUser(target)
                }
            } catch {
                system.writeStandardError(error.description)
                failure = error
            }
        }
        if let failure { throw failure.withCode(.generalFailure) }
        return 0
    }

    func removeContents(of directory: AbsolutePath, user: UserRecord) throws(RuntimeError) {
        let system = context.system
        try system.withIdentity(uid: user.uid, gid: user.gid, groups: user.groups) { () throws(RuntimeError) in
            for name in try system.listDirectory(directory.value, code: .generalFailure) {
                _ = try system.removeTree(try directory.appending(name).value, code: .generalFailure)
            }
        }
    }
}
