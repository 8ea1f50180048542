import HadoopConfig
import LinuxSystem
import NetworkPlanner
import RuntimeBase
import YarnContract

/// Carries out `TunnelPlan`'s node and application levels (`[kata] network.tunnel=vxlan`; the container level
/// rides in `ContainerNetwork`'s veth batches). Both methods run under the IPAM lock, so these levels are decided
/// and changed by one launcher at a time.
///
/// Which levels exist is read from the kernel and from markers, not from the allocation records: a record is
/// written before its container's network is wired, so "another record of this application exists" does not mean
/// "its table exists yet". The device is looked up by name; each application level leaves a marker
/// `<state-root>/netns/tunnel-<key>` holding the device's ifindex, stale as soon as the device is re-created.
struct ContainerTunnel {
    let network: ContainerNetwork
    var system: any System { network.system }
    var plan: TunnelPlan { TunnelPlan(settings: network.settings) }

    func marker(_ application: ApplicationId) throws(RuntimeError) -> AbsolutePath {
        try network.directory.appending("tunnel-\(TunnelPlan.key(of: application))")
    }

    func attach(_ container: ContainerNetworkPlan, others: [NetworkRecord], containerDir: AbsolutePath, log: Int32) throws(RuntimeError) {
        let application = container.applicationId, key = TunnelPlan.key(of: application)
        if let clash = others.first(where: { $0.plan.applicationId != application && TunnelPlan.key(of: $0.plan.applicationId) == key }) {
            throw RuntimeError(.runcSetupFailed, "\(application) and \(clash.plan.applicationId) share tunnel key \(key) on this node; "
                               + "the second cannot be isolated from the first until it ends")
        }
        let script = try containerDir.appending("net-tunnel.batch")
        let index = try ensureDevice(script: script, log: log)
        let marker = try marker(application)
        let recorded = (try? system.readFile(marker.value, maxBytes: 32, code: .runcSetupFailed)).map { String(decoding: $0, as: UTF8.self) }
        if recorded != "\(index)" {
            _ = try? network.tools.ip(TunnelPlan.applicationRuleRemoval(application), script: script, log: -1, force: true)
            try network.tools.ip(plan.applicationCommands(application), script: script, log: log)
            try system.writeFileAtomically(marker.value, Array("\(index)".utf8), mode: 0o600, code: .runcSetupFailed)
        }
    }

    /// The device with its neighbours and blackhole, if missing; its ifindex.
    func ensureDevice(script: AbsolutePath, log: Int32) throws(RuntimeError) -> UInt32 {
        if let index = system.interfaceIndex(TunnelPlan.device) { return index }
        if system.readKernelSetting("/proc/sys/net/ipv4/conf/all/rp_filter") == "1" {
            throw RuntimeError(.runcSetupFailed, "network.tunnel=vxlan needs net.ipv4.conf.all.rp_filter 0 or 2 (it is 1, strict): "
                               + "tunnelled packets arrive on \(TunnelPlan.device), not where the node's routes to their source point")
        }
        let unprivileged = system.readKernelSetting("/proc/sys/net/ipv4/ip_unprivileged_port_start").flatMap { Int($0) } ?? 1024
        if unprivileged < TunnelPlan.sourcePorts.upperBound {
            throw RuntimeError(.runcSetupFailed, "network.tunnel=vxlan needs net.ipv4.ip_unprivileged_port_start >= \(TunnelPlan.sourcePorts.upperBound) "
                               + "(it is \(unprivileged)): peers trust tunnel frames from privileged source ports only")
        }
        _ = try? network.tools.ip(TunnelPlan.nodeTeardown, script: script, log: -1, force: true)
        do throws(RuntimeError) {
            try network.tools.ip(plan.nodeCommands, script: script, log: log)
            try system.writeKernelSetting("/proc/sys/net/ipv4/conf/\(TunnelPlan.device)/rp_filter", "0\n", code: .runcSetupFailed)
        } catch {
            _ = try? network.tools.ip(TunnelPlan.nodeTeardown, script: script, log: -1, force: true)
            throw error
        }
        guard let index = system.interfaceIndex(TunnelPlan.device) else {
            throw RuntimeError(.runcSetupFailed, "\(TunnelPlan.device) vanished right after it was created")
        }
        return index
    }

    /// The application and node levels, when the container was the last of its application or of the node (its
    /// own route and rule go with its veth, `ContainerNetwork.detach`). Errors are ignored: the objects may never
    /// have been made (a launch that failed half-way).
    func detach(_ container: ContainerNetworkPlan, lastOfApplication: Bool, lastOnNode: Bool, containerDir: AbsolutePath) throws(RuntimeError) {
        guard lastOfApplication || lastOnNode, network.settings.tunnel || system.interfaceIndex(TunnelPlan.device) != nil else { return }
        var commands = TunnelPlan.applicationTeardown(container.applicationId)
        if lastOnNode { commands += TunnelPlan.nodeTeardown }
        _ = try? network.tools.ip(commands, script: try containerDir.appending("net-tunnel-teardown.batch"), log: -1, force: true)
        try system.removeFile(try marker(container.applicationId).value, code: .generalFailure)
        if lastOnNode { _ = try removeMarkers() }
    }

    /// `gc`: the tunnel's node level, and the application levels its markers name, when no container on the node
    /// holds an allocation any more (a teardown failed half-way). True when something was removed.
    func sweepOrphanDevice(_ store: StateStore) throws(RuntimeError) -> Bool {
        guard system.interfaceIndex(TunnelPlan.device) != nil else { return false }
        try system.makeDirectory(try network.directory.value, mode: 0o700, owner: (0, 0), code: .generalFailure)
        return try system.withFileLock(try network.lockFile.value, code: .generalFailure) { () throws(RuntimeError) -> Bool in
            guard try network.records(store).isEmpty else { return false }
            let keys = try removeMarkers()
            let commands = keys.flatMap { TunnelPlan.applicationTeardown(key: $0) } + TunnelPlan.nodeTeardown
            _ = try? network.tools.ip(commands, script: try network.directory.appending("sweep-tunnel.batch"), log: -1, force: true)
            return true
        }
    }

    /// Removes every `tunnel-<key>` marker; the keys they named.
    func removeMarkers() throws(RuntimeError) -> [UInt32] {
        var keys: [UInt32] = []
        for name in (try? system.listDirectory(try network.directory.value, code: .generalFailure)) ?? [] where name.hasPrefix("tunnel-") {
            guard let key = UInt32(name.dropFirst(7)), key > 0, key < 1 << 24 else { continue }
            try system.removeFile(try network.directory.appending(name).value, code: .generalFailure)
            keys.append(key)
        }
        return keys
    }
}
