import LinuxSystem
import RuntimeBase
import RuntimeDrivers
import StrictJSON
import YarnContract

/// The operator verbs `state`, `list` and `delete`.
public struct ContainerAdmin {
    let context: RuntimeContext

    public init(context: RuntimeContext) { self.context = context }

    var store: StateStore { get throws(RuntimeError) { StateStore(system: context.system, root: try context.stateRoot) } }

    /// The record merged with the runtime's live view, as JSON.
    public func state(_ id: ContainerId) throws(RuntimeError) -> JSONValue {
        guard let record = try store.load(id) else { throw RuntimeError(.invalidContainerPid, "no such container: \(id)") }
        return try describe(record)
    }

    public func list() throws(RuntimeError) -> [JSONValue] {
        try store.all().map { (record) throws(RuntimeError) -> JSONValue in try describe(record) }
    }

    func describe(_ record: ContainerRecord) throws(RuntimeError) -> JSONValue {
        let driver = try RuntimeSelection.driver(named: record.runtime, context: context)
        let live = try driver.state(id: record.id)
        var object = record.json.objectValue ?? [:]
        object["status"] = .string(live?.status.rawValue ?? "stopped")
        object["launcherAlive"] = .bool(context.system.processExists(record.launcherPid))
        return .object(object)
    }

    /// Kills and removes the container from its runtime. The launcher, if still alive, sees the container end,
    /// writes the exit code and cleans up as usual; if it is gone, its network, bundle and record go here.
    public func delete(_ id: ContainerId) throws(RuntimeError) {
        guard let record = try store.load(id) else { throw RuntimeError(.invalidContainerPid, "no such container: \(id)") }
        if context.system.processExists(record.launcherPid) {
            try RuntimeSelection.driver(named: record.runtime, context: context).delete(id: id)
        } else {
            try GarbageCollector(context: context).reclaim(id, record: record, runtime: record.runtime, store: try store)   // network too
        }
    }
}
