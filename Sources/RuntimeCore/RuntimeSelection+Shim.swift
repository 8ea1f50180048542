import RuntimeBase
import RuntimeDrivers
import YarnContract

extension RuntimeSelection {
    static func shimDriver(named name: String, context: RuntimeContext, stateRoot: AbsolutePath) throws(RuntimeError) -> any RuntimeDriver {
        throw RuntimeError(.runcSetupFailed, "runtime \(name): the shim v2 driver is not part of this build")
    }
}
