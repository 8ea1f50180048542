import RuntimeBase
import RuntimeDrivers

/// A runtime driver that logs each lifecycle call into its `RecordingSystem`'s event log, so the use-case tests
/// see runtime steps and system calls in one order. Its answers are set by the test.
public final class RecordingDriver: RuntimeDriver, @unchecked Sendable {
    public let name: String
    let system: RecordingSystem
    public var containerPid: Int32 = 50_000
    public var exitStatus: Int32 = 0
    public var startFailure: RuntimeError?
    public var deleteFailure: RuntimeError?
    /// What `state` answers; nil: the runtime does not know the container.
    public var state: RuntimeState? = RuntimeState(status: .running, pid: 50_000)

    public init(name: String = "runc", system: RecordingSystem) { self.name = name; self.system = system }

    public func start(_ request: StartRequest) throws(RuntimeError) -> StartedContainer {
        system.log("driver.start", request.id.value)
        if let startFailure { throw startFailure }
        system.processes[containerPid] = (0, containerPid)
        return StartedContainer(id: request.id, pid: containerPid, supervisor: nil)
    }

    public func wait(_ container: StartedContainer) throws(RuntimeError) -> Int32 {
        system.log("driver.wait", container.id.value)
        system.processes[containerPid] = nil
        return exitStatus
    }

    public func kill(id: ContainerId, signal: Int32) throws(RuntimeError) { system.log("driver.kill", "\(id.value) \(signal)") }

    public func state(id: ContainerId) throws(RuntimeError) -> RuntimeState? {
        system.log("driver.state", id.value)
        return state
    }

    public func delete(id: ContainerId) throws(RuntimeError) {
        system.log("driver.delete", id.value)
        if let deleteFailure { throw deleteFailure }
    }
}
