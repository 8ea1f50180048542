import CLinuxShim
import Glibc
import RuntimeBase

public struct CallerIdentity: Sendable, Equatable {
    public var realUID: UInt32, effectiveUID: UInt32, realGID: UInt32, effectiveGID: UInt32
    public var setuidExecution: Bool
    public init(realUID: UInt32, effectiveUID: UInt32, realGID: UInt32, effectiveGID: UInt32, setuidExecution: Bool) {
        self.realUID = realUID; self.effectiveUID = effectiveUID; self.realGID = realGID; self.effectiveGID = effectiveGID
        self.setuidExecution = setuidExecution
    }
}

public struct UserRecord: Sendable, Equatable {
    public var name: String, uid: UInt32, gid: UInt32, home: String, groups: [UInt32]
    public init(name: String, uid: UInt32, gid: UInt32, home: String, groups: [UInt32]) {
        self.name = name; self.uid = uid; self.gid = gid; self.home = home; self.groups = groups
    }
}

extension LiveSystem {
    public func caller() -> CallerIdentity {
        var ru: uid_t = 0, eu: uid_t = 0, su: uid_t = 0, rg: gid_t = 0, eg: gid_t = 0, sg: gid_t = 0
        _ = kyr_getresuid(&ru, &eu, &su)
        _ = kyr_getresgid(&rg, &eg, &sg)
        return CallerIdentity(realUID: ru, effectiveUID: eu, realGID: rg, effectiveGID: eg,
                              setuidExecution: kyr_prologue_at_secure() != 0)
    }

    public func callerIsInGroup(_ gid: UInt32) -> Bool { kyr_caller_in_group(gid) == 1 }

    /// Sheds the caller's identity: real, effective and saved ids become root, supplementary groups {0}.
    public func becomeRoot() throws(RuntimeError) {
        try requireSingleThreaded()
        _ = try Self.check(kyr_become_root(), .setuidOperFailed, "become root")
    }

    /// Runs `body` as someone else: real, effective and saved uid and gid and the supplementary groups are theirs
    /// (the kernel judges every call as it would judge them), then comes back to root. A failed switch throws
    /// before `body` runs; a failed return ends the process with 6 (`kyr_return_to_root`). Never nested.
    public func withIdentity<R>(uid: UInt32, gid: UInt32, groups: [UInt32],
                                _ body: () throws(RuntimeError) -> R) throws(RuntimeError) -> R {
        try requireSingleThreaded()
        let rc = groups.withUnsafeBufferPointer { kyr_assume_identity(uid, gid, $0.baseAddress, $0.count) }
        if rc < 0 { throw RuntimeError(.setuidOperFailed, "act as \(uid):\(gid): \(Self.errnoText(-rc))", errno: -rc) }
        defer { kyr_return_to_root() }
        return try body()
    }

    /// Hadoop's `signal_container_as_user` in a child that permanently becomes the user: `kill(-pid)`, or the
    /// single process when it leads no group. Returns Hadoop's answer: 0, 9 (gone), 8 (could not signal), 255.
    public func signalAsUser(uid: UInt32, gid: UInt32, groups: [UInt32], pid: Int32, signal: Int32) throws(RuntimeError) -> ExitCode {
        let rc = groups.withUnsafeBufferPointer { kyr_signal_as(uid, gid, $0.baseAddress, $0.count, pid, signal) }
        if rc < 0 { throw RuntimeError(.unableToSignalContainer, "signal \(signal) to \(pid) as \(uid): \(Self.errnoText(-rc))", errno: -rc) }
        guard let code = ExitCode(rawValue: rc) else { throw RuntimeError(.generalFailure, "signal child ended with \(rc)") }
        return code
    }

    /// A process's real uid and process group, read race-free through a pidfd; nil when it is gone.
    public func processOwner(_ pid: Int32) -> (realUID: UInt32, processGroup: Int32)? {
        var uid: uid_t = 0
        var group: pid_t = 0
        return kyr_process_owner(pid, &uid, &group) == 0 ? (uid, group) : nil
    }

    public func lookupUser(_ name: String) throws(RuntimeError) -> UserRecord {
        var uid: uid_t = 0, gid: gid_t = 0
        var home = [CChar](repeating: 0, count: 4096)
        let rc = kyr_lookup_user(name, &uid, &gid, &home, home.count)
        if rc == -ENOENT { throw RuntimeError(.generalFailure, "user \(name) not found") }
        _ = try Self.check(rc, .generalFailure, "look up user \(name)")
        var groups = [gid_t](repeating: 0, count: 256)
        var count: Int32 = Int32(groups.count)
        if kyr_user_groups(name, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = try Self.check(kyr_user_groups(name, gid, &groups, &count), .generalFailure, "groups of \(name)")
        }
        let homeText = home.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return UserRecord(name: name, uid: uid, gid: gid, home: homeText, groups: Array(groups.prefix(Int(count))))
    }

    public func lookupGroup(_ name: String) throws(RuntimeError) -> UInt32 {
        var gid: gid_t = 0
        let rc = kyr_lookup_group(name, &gid)
        if rc == -ENOENT { throw RuntimeError(.invalidConfigFile, "group \(name) not found") }
        _ = try Self.check(rc, .invalidConfigFile, "look up group \(name)")
        return gid
    }

    /// Credential, capability and seccomp changes are per thread; the binary must never have a second one.
    public func requireSingleThreaded() throws(RuntimeError) {
        let threads = kyr_thread_count()
        guard threads == 1 else { throw RuntimeError(.setuidOperFailed, "refusing identity change with \(threads) threads") }
    }
}
