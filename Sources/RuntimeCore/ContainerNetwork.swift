import BundleBuilder
import HadoopConfig
import LinuxSystem
import NetworkPlanner
import RuntimeBase
import StrictJSON
import YarnContract

/// Routed networking for one container (docs/networking.md): the address from this node's range under the
/// IPAM lock, a namespace bound at `<state-root>/netns/<cid>`, a veth pair routed as a /32, the tenant policy
/// in nftables, and an /etc/hosts. `detach` undoes all of it from the allocation record alone, so the
/// launcher, `delete` and `gc` share one teardown.
struct ContainerNetwork {
    let context: RuntimeContext
    var system: any System { context.system }
    var settings: NetworkSettings { context.kata.networking }
    var tools: NetworkTools { NetworkTools(system: system) }
    var tunnel: ContainerTunnel { ContainerTunnel(network: self) }

    var directory: AbsolutePath { get throws(RuntimeError) { try context.stateRoot.appending("netns") } }
    var lockFile: AbsolutePath { get throws(RuntimeError) { try directory.appending("ipam.lock") } }

    static func recordFile(_ containerDir: AbsolutePath) throws(RuntimeError) -> AbsolutePath { try containerDir.appending("network.json") }

    /// `kernelStack`: whether the sandbox uses the Linux stack of the namespace it is given (runc, runsc's host
    /// stack), asked once for every container when the namespace exists; only such a sandbox can use a share of the
    /// node's address.
    func attach(_ request: LaunchRequest, store: StateStore, containerDir: AbsolutePath,
                kernelStack: Bool) throws(RuntimeError) -> (NetworkAttachment, ContainerNetworkPlan) {
        guard let range = settings.range else { throw RuntimeError(.invalidConfigFile, "network=routed needs [kata] network.range") }
        try tools.ensureInstalled()
        if settings.sharedPorts != nil { try checkLentPortsReserved() }
        let shareLibrary = try context.initBinary().parent.appending("kyr-share.so")
        if settings.sharedPorts != nil, NodeAddressShare.Delivery.choose(settings.shareMethod, kernelStack: kernelStack) == .preload,
           !system.pathExists(shareLibrary.value) {
            throw RuntimeError(.runcSetupFailed, "[kata] network.node-address.ports: this sandbox keeps its own network stack and gets its share "
                               + "through \(shareLibrary), which is not installed (make install puts it beside kyr-init)")
        }
        try system.makeDirectory(try directory.value, mode: 0o700, owner: (0, 0), code: .runcSetupFailed)
        let namespace = try directory.appending(request.containerId.value)
        let hostname = BundlePlanner.containerHostname(request.containerId)
        let plan = try system.withFileLock(try lockFile.value, code: .runcSetupFailed) { () throws(RuntimeError) -> ContainerNetworkPlan in
            let used = Set(try records(store).map(\.plan.address))
            guard let address = AddressAllocator.allocate(in: range, used: used, gateway: settings.gateway) else {
                throw RuntimeError(.runcSetupFailed, "no free address in [kata] network.range \(range) (\(AddressAllocator.capacity(of: range)) in use)")
            }
            var share = NodeAddressShare(for: address, settings: settings)
            share?.delivery = .choose(settings.shareMethod, kernelStack: kernelStack)
            let plan = ContainerNetworkPlan(containerId: request.containerId, address: address, gateway: settings.gateway,
                                            namespacePath: namespace.value, hostname: hostname, mtu: settings.containerMTU,
                                            share: share)
            try writeRecord(plan, containerDir: containerDir)
            return plan
        }
        let log = try system.openForAppend(try containerDir.appending("network.log").value, mode: 0o600, owner: nil, code: .runcSetupFailed)
        defer { system.closeDescriptor(log) }
        do throws(RuntimeError) {
            try enableForwarding()
            if system.pathExists(namespace.value) { try system.removeNetworkNamespace(at: namespace.value) }
            try system.createNetworkNamespace(at: namespace.value, code: .runcSetupFailed)
            // Under the tunnel the container's own route and rule ride along (no extra process per launch).
            let tunnelled = settings.tunnel ? TunnelPlan.containerCommands(plan) : []
            try tools.ip(plan.hostCommands + tunnelled, script: try containerDir.appending("net-host.batch"), log: log)
            let share = plan.share
            try system.inNetworkNamespace(namespace.value, code: .runcSetupFailed) { () throws(RuntimeError) in
                let inNamespace = share?.delivery == .namespace ? share : nil
                try tools.ip(plan.namespaceCommands + (inNamespace?.namespaceCommands ?? []),
                             script: try containerDir.appending("net-container.batch"), log: log)
                if let share = inNamespace {
                    try system.writeKernelSetting("/proc/sys/net/ipv4/ip_local_port_range", share.ephemeralRange, code: .runcSetupFailed)
                    try tools.nft(share.namespaceRules(containerAddress: plan.address), script: try containerDir.appending("nft-container.nft"), log: log)
                }
            }
            if settings.tunnel {
                try system.withFileLock(try lockFile.value, code: .runcSetupFailed) { () throws(RuntimeError) in
                    let others = try records(store).filter { $0.plan.containerId != plan.containerId }
                    try tunnel.attach(plan, others: others, containerDir: containerDir, log: log)
                }
            }
            try tools.nft(NFTRules.setup(plan, settings: settings, minUserId: context.config.minUserId),
                          script: try containerDir.appending("nft-setup.nft"), log: log)
        } catch {
            throw RuntimeError(.runcSetupFailed, "routed network for \(request.containerId): \(error.message)\(logTail(containerDir))")
        }
        let nodeHosts = (try? system.readFile("/etc/hosts", maxBytes: 1 << 20, code: .runcSetupFailed)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let hosts = try containerDir.appending("hosts")
        try system.writeFileAtomically(hosts.value, Array(plan.hostsFile(nodeHosts: nodeHosts).utf8), mode: 0o644, code: .runcSetupFailed)
        var attachment = NetworkAttachment(namespacePath: namespace, hostsFile: hosts, hostname: hostname)
        if let share = plan.share, share.delivery == .preload {
            attachment.sharePreload = .init(library: shareLibrary, value: share.preloadValue(containerAddress: plan.address))
        }
        return (attachment, plan)
    }

    func writeRecord(_ plan: ContainerNetworkPlan, containerDir: AbsolutePath) throws(RuntimeError) {
        let record = NetworkRecord(plan: plan, launcherPid: system.currentPid())
        try system.writeFileAtomically(try Self.recordFile(containerDir).value, Array(JSONWriter.encode(record.json).utf8),
                                       mode: 0o600, code: .runcSetupFailed)
    }

    /// Tears down what `network.json` in `containerDir` describes, if anything; removes the record last, which
    /// frees the address. Safe to repeat and on partial set-ups.
    func detach(containerDir: AbsolutePath, store: StateStore) throws(RuntimeError) {
        guard let record = try load(containerDir) else { return }
        let plan = record.plan
        try system.withFileLock(try lockFile.value, code: .generalFailure) { () throws(RuntimeError) in
            let others = try records(store).filter { $0.plan.containerId != plan.containerId }
            let lastOfApplication = !others.contains { $0.plan.applicationId == plan.applicationId }
            let commands = NFTRules.teardown(plan, lastOfApplication: lastOfApplication, lastOnNode: others.isEmpty)
            let script = try containerDir.appending("nft-teardown.nft")
            if (try? tools.nft(commands.joined(separator: "\n") + "\n", script: script, log: -1)) == nil {
                // Part of it was never created (a launch that failed half-way): remove what exists, piece by piece.
                for command in commands where !command.hasPrefix("flush") {
                    let flush = command.hasPrefix("delete chain") ? [command.replacingFirst("delete chain", with: "flush chain")] : []
                    _ = try? tools.nft((flush + [command]).joined(separator: "\n") + "\n", script: script, log: -1)
                }
            }
            try tunnel.detach(plan, lastOfApplication: lastOfApplication, lastOnNode: others.isEmpty, containerDir: containerDir)
            _ = try? tools.ip(["link delete \(plan.hostInterface)"] + TunnelPlan.containerTeardown(plan),
                              script: try containerDir.appending("net-teardown.batch"), log: -1, force: true)
            try system.removeNetworkNamespace(at: plan.namespacePath)
            try system.removeFile(try Self.recordFile(containerDir).value, code: .generalFailure)
        }
    }

    /// Before a launch re-creates `<cid>`'s directory: the network of an earlier launch of the same id that
    /// died before it recorded its container (no state.json, launcher gone) is torn down, not orphaned.
    func reclaimDebris(of id: ContainerId, store: StateStore) throws(RuntimeError) {
        let dir = try store.directory(for: id)
        guard try system.fileStatus(try dir.appending("state.json").value) == nil,
              let record = try? load(dir), !system.processExists(record.launcherPid) else { return }
        try detach(containerDir: dir, store: store)
    }

    func load(_ containerDir: AbsolutePath) throws(RuntimeError) -> NetworkRecord? {
        let file = try Self.recordFile(containerDir)
        guard try system.fileStatus(file.value) != nil else { return nil }
        let bytes = try system.readFile(file.value, maxBytes: 64 * 1024, code: .generalFailure)
        do { return try NetworkRecord(json: try JSONParser().parse(bytes)) } catch let error as RuntimeError { throw error } catch {
            throw RuntimeError(.generalFailure, "network record \(file) is not valid json")
        }
    }

    /// Every allocation on this node (the caller holds the IPAM lock when it matters).
    func records(_ store: StateStore) throws(RuntimeError) -> [NetworkRecord] {
        let containers = try store.root.appending("containers")
        guard try system.fileStatus(containers.value) != nil else { return [] }
        var found: [NetworkRecord] = []
        for name in try system.listDirectory(containers.value, code: .generalFailure) {
            guard (try? ContainerId(name)) != nil, let record = try? load(try containers.appending(name)) else { continue }
            found.append(record)
        }
        return found
    }

    /// Namespace files under `<state-root>/netns` that no allocation record names (a crash between the two).
    func sweepOrphanNamespaces(_ store: StateStore) throws(RuntimeError) -> [String] {
        let dir = try directory
        guard try system.fileStatus(dir.value) != nil else { return [] }
        let owned = Set(try records(store).map(\.plan.namespacePath))
        var removed: [String] = []
        for name in try system.listDirectory(dir.value, code: .generalFailure) where (try? ContainerId(name)) != nil {
            let path = try dir.appending(name).value
            if owned.contains(path) { continue }
            try system.removeNetworkNamespace(at: path)
            removed.append(name)
        }
        return removed
    }

    /// runsc's `--network` for a routed container. Either way the sandbox joins the namespace the bundle names.
    /// `auto` prefers gVisor's own netstack (the container's socket calls never reach the host kernel's network
    /// stack); Debian's runsc is started where its root-namespace test cannot misfire (`maskProcSysNet`). A share of
    /// the node's address reaches the netstack through kyr-share.so; `sandbox` and `host` are explicit choices.
    func runscStack() -> String {
        settings.runscStack == "auto" ? "sandbox" : settings.runscStack
    }

    /// The node must never hand a lent port to one of its own sockets: a service of the node bound to port 0 (Hadoop
    /// binds many so) would get one, and new connections to it would be DNATed to a container instead.
    func checkLentPortsReserved() throws(RuntimeError) {
        guard let lent = settings.sharedPorts else { return }
        let rangeKnob = "/proc/sys/net/ipv4/ip_local_port_range", reservedKnob = "/proc/sys/net/ipv4/ip_local_reserved_ports"
        guard let ephemeral = system.readKernelSetting(rangeKnob).flatMap(NodeAddressShare.parseRange),
              let reserved = NodeAddressShare.parseList(system.readKernelSetting(reservedKnob) ?? "") else {
            throw RuntimeError(.runcSetupFailed, "cannot read \(rangeKnob) and \(reservedKnob)")
        }
        if let overlap = NodeAddressShare.unreservedOverlap(lent: lent, ephemeral: ephemeral, reserved: reserved) {
            let text = lent.portsText
            throw RuntimeError(.runcSetupFailed, "[kata] network.node-address.ports \(text): ports \(overlap.portsText) are in "
                               + "this node's ephemeral range \(ephemeral.portsText) (net.ipv4.ip_local_port_range) and not "
                               + "reserved, so a service of the node bound to port 0 could get one and its clients would reach a container; reserve them "
                               + "(net.ipv4.ip_local_reserved_ports=\(text)) or lend ports outside that range")
        }
    }

    /// Routing between containers and to other nodes needs IPv4 forwarding in the node's namespace.
    func enableForwarding() throws(RuntimeError) {
        let knob = "/proc/sys/net/ipv4/ip_forward"
        if system.readKernelSetting(knob) != "1" { try system.writeKernelSetting(knob, "1\n", code: .runcSetupFailed) }
    }

    func logTail(_ containerDir: AbsolutePath) -> String {
        guard let path = try? containerDir.appending("network.log"), let tail = LogTail.read(path, system: system) else { return "" }
        return ": " + tail
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard hasPrefix(target) else { return self }
        return replacement + dropFirst(target.count)
    }
}
