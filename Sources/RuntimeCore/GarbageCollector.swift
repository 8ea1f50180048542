import LinuxSystem
import NetworkPlanner
import RuntimeBase
import RuntimeDrivers
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
                try reclaim(id, record: record, runtime: record?.runtime, store: store)
                report.append("reclaimed \(id)" + (allocation.map { " (address \($0.plan.address))" } ?? ""))
            }
        }
        for name in try network.sweepOrphanNamespaces(store) { report.append("removed orphan network namespace \(name)") }
        if try network.tunnel.sweepOrphanDevice(store) { report.append("removed orphan tunnel device \(TunnelPlan.device)") }
        return report
    }

    /// Kills what is left in the runtime, tears the network down, writes the orphan's exit code for a NodeManager
    /// that recovers it, removes the record and bundle.
    func reclaim(_ id: ContainerId, record: ContainerRecord?, runtime: String?, store: StateStore) throws(RuntimeError) {
        var status: Int32?
        if let runtime {
            let driver = try RuntimeSelection.driver(named: runtime, context: context)
            if record != nil { status = try exitStatus(of: id, driver: driver) }
            try driver.delete(id: id)
        }
        try ContainerNetwork(context: context).detach(containerDir: try store.directory(for: id), store: store)
        if let record, let status { try writeExitCode(status, for: record) }
        try store.remove(id)
    }

    /// How an orphan ended: the runtime's own status when it still knows it; 137 when it still runs (deleting it
    /// kills it); Hadoop's LOST (154) when the runtime has forgotten it (runc keeps no status once its parent died).
    func exitStatus(of id: ContainerId, driver: any RuntimeDriver) throws(RuntimeError) -> Int32 {
        guard let state = try driver.state(id: id) else { return ExitCode.lost.rawValue }
        switch state.status {
        case .stopped: return state.exitStatus ?? ExitCode.lost.rawValue
        case .unknown: return ExitCode.lost.rawValue
        case .creating, .created, .running, .paused: return ExitCode.forceKilled.rawValue
        }
    }

    /// `<pidfile>.exitcode` as the NodeManager that launched it, atomically, unless the launcher got to write it.
    func writeExitCode(_ status: Int32, for record: ContainerRecord) throws(RuntimeError) {
        guard let nodeManager = record.nodeManager else {
            context.system.writeStandardError("\(record.id): no NodeManager identity in its record; exit code \(status) not written")
            return
        }
        let pidFile = try AbsolutePath(record.pidFile, code: .generalFailure)
        let file = try pidFile.parent.appending(pidFile.lastComponent + ".exitcode")
        let system = context.system
        try system.withIdentity(uid: nodeManager.uid, gid: nodeManager.gid, groups: [nodeManager.gid]) { () throws(RuntimeError) in
            guard try system.fileStatus(file.value, code: .writePidfileFailed) == nil else { return }
            try system.writeFileAtomically(file.value, Array(String(status).utf8), mode: 0o700, code: .writePidfileFailed)
        }
    }
}
