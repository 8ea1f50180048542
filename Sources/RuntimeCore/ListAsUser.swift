import LinuxSystem
import RuntimeBase
import YarnContract

/// Operation 5 (Hadoop's `list_as_user`): one entry name per line on stdout, read with the user's identity. A
/// non-directory prints its own path. The NodeManager parses stdout, so nothing else goes there. Only the user's
/// part of Hadoop's layout beneath a checked NodeManager root can be listed.
public struct ListAsUser {
    let context: RuntimeContext

    public init(context: RuntimeContext) { self.context = context }

    public func run(users: UserPair, directory: String) throws(RuntimeError) -> Int32 {
        let system = context.system
        let user = try UserPolicy.validate(users.runAsUser, in: context)
        let path = try AbsolutePath(directory, code: .generalFailure)
        try NodeManagerRoots(context: context).checkUserPath(path, user: users.yarnUser.value, code: .generalFailure)
        let names = try system.withIdentity(uid: user.uid, gid: user.gid, groups: user.groups) { () throws(RuntimeError) -> [String] in
            guard let status = try system.fileStatus(path.value) else { throw RuntimeError(.generalFailure, "could not stat \(path)") }
            if status.kind != .directory { return [path.value] }
            return try system.listDirectory(path.value, code: .generalFailure)
        }
        if !names.isEmpty { system.writeStandardOutput(names.joined(separator: "\n")) }
        return 0
    }
}
