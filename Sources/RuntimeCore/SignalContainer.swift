import LinuxSystem
import RuntimeBase
import RuntimeDrivers
import YarnContract

/// Operation 2 (`<user> <yarnUser> 2 <pid> <signal>`) and the `signal` verb.
///
/// A pid we launched maps to its container, and the signal goes through the runtime to the container's init
/// (kyr-init forwards it to the workload's process group): that works for every runtime, VMs included, where
/// the host pid is not the workload. Any other pid must be a live process whose real uid is the run-as user
/// (checked through a pidfd); it then gets Hadoop's semantics, `kill(-pid, sig)`, from a child that has become
/// that user for good. pid 1, negative pids and everything not the user's answer 9, as a gone process does, so
/// the NodeManager learns nothing about other users' processes.
public struct SignalContainer {
    let context: RuntimeContext

    public init(context: RuntimeContext) { self.context = context }

    public func signalPid(users: UserPair, pid: Int32, signal: Int32) throws(RuntimeError) -> ExitCode {
        let user = try UserPolicy.validate(users.runAsUser, in: context)
        guard pid > 1 else { return .invalidContainerPid }
        guard (0...64).contains(signal) else { throw RuntimeError(.unableToSignalContainer, "invalid signal \(signal)") }
        let store = StateStore(system: context.system, root: try context.stateRoot)
        if let record = try store.all().first(where: { $0.pid == pid && $0.uid == user.uid }) {
            return try signalRecord(record, signal: signal)
        }
        guard let owner = context.system.processOwner(pid), owner.realUID == user.uid else { return .invalidContainerPid }
        return try context.system.signalAsUser(uid: user.uid, gid: user.gid, groups: user.groups, pid: pid, signal: signal)
    }

    public func signalContainer(_ id: ContainerId, signal: Int32) throws(RuntimeError) -> ExitCode {
        let store = StateStore(system: context.system, root: try context.stateRoot)
        guard let record = try store.load(id) else { throw RuntimeError(.invalidContainerPid, "no such container: \(id)") }
        return try signalRecord(record, signal: signal)
    }

    func signalRecord(_ record: ContainerRecord, signal: Int32) throws(RuntimeError) -> ExitCode {
        let driver = try RuntimeSelection.driver(named: record.runtime, context: context)
        guard let state = try driver.state(id: record.id), state.status == .running || state.status == .created || state.status == .paused else {
            return .invalidContainerPid
        }
        if signal == 0 { return .success }
        do { try driver.kill(id: record.id, signal: signal) } catch {
            if error.code == .invalidContainerPid { return .invalidContainerPid }
            throw error
        }
        return .success
    }
}
