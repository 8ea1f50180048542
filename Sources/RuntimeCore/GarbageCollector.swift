import LinuxSystem
import NetworkPlanner
import RuntimeBase
import YarnContract

/// `kata-yarn-runtime gc` (and `delete` for one container): reclaims everything that belongs to containers
/// whose launcher is gone — killed -9, or the node rebooted under it — while a live launcher keeps its own.
/// Launchers survive NodeManager restarts (they ignore SIGHUP/SIGPIPE), so a restarted NM loses nothing.
public struct GarbageCollector {
    let context: RuntimeContext

    public init(context: RuntimeContext) { self.context = context }

    var store: StateStore { get throws(RuntimeError) { StateStore(system: context.system, root: try context.stateRoot) } }

    /// One line per reclaimed container or orphan namespace file.
    public func run() throws(RuntimeError) -> [String] {
        let store = try store
        let system = context.system
        let network = ContainerNetwork(context: context)
        let containers = try store.root.appending("containers")
        var report: [String] = []
        if try system.fileStatus(containers.value) != nil {
            for name in try system.listDirectory(containers.value, code: .generalFailure) {
                guard let id = try? ContainerId(name) else { continue }
                let dir = try containers.appending(name)
                let record = try? store.load(id)
                let allocation = try? network.load(dir)
                guard let launcher = record?.launcherPid ?? allocation?.launcherPid else { continue }   // a launch in progress
                if system.processExists(launcher) { continue }
                try reclaim(id, runtime: record?.runtime, store: store)
                report.append("reclaimed \(id)" + (allocation.map { " (address \($0.plan.address))" } ?? ""))
            }
        }
        for name in try network.sweepOrphanNamespaces(store) { report.append("removed orphan network namespace \(name)") }
        if try network.tunnel.sweepOrphanDevice(store) { report.append("removed orphan tunnel device \(TunnelPlan.device)") }
        return report
    }

    /// Kills what is left in the runtime, tears the network down, removes the record and bundle.
    func reclaim(_ id: ContainerId, runtime: String?, store: StateStore) throws(RuntimeError) {
        if let runtime { try RuntimeSelection.driver(named: runtime, context: context).delete(id: id) }
        try ContainerNetwork(context: context).detach(containerDir: try store.directory(for: id), store: store)
        try store.remove(id)
    }
}
