import LinuxSystem
import RuntimeBase
import YarnContract

/// Hadoop's `check_user`: never root, uid ≥ min.user.id unless allowed, not banned, must exist. Failure → 255.
public enum UserPolicy {
    public static func validate(_ user: UserName, in context: RuntimeContext) throws(RuntimeError) -> UserRecord {
        let name = user.value
        guard name != "root" else { throw RuntimeError(.generalFailure, "running as root is not allowed") }
        guard !context.config.bannedUsers.contains(name) else { throw RuntimeError(.generalFailure, "requested user \(name) is banned") }
        let record = try context.system.lookupUser(name)
        guard record.uid != 0 else { throw RuntimeError(.generalFailure, "running as uid 0 is not allowed") }
        if record.uid < context.config.minUserId && !context.config.allowedSystemUsers.contains(name) {
            throw RuntimeError(.generalFailure, "requested user \(name) has id \(record.uid), which is below the minimum allowed \(context.config.minUserId)")
        }
        return record
    }
}
