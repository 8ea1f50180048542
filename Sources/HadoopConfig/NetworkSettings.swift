import RuntimeBase

/// `[kata] network*` keys: which network a sandbox gets and, for `routed`, its address range and policy.
/// Every key is documented in hadoop-conf/container-executor.cfg and docs/networking.md.
public struct NetworkSettings: Sendable, Equatable {
    /// `network=` as configured; nil: the safer choice the node allows (`NetworkMode.resolve`).
    public var mode: NetworkMode?
    /// Modes a launch context may ask for besides the default (`network.allowed`).
    public var allowedModes: [NetworkMode] = []
    /// This node's container addresses (`network.range`).
    public var range: IPv4Network?
    /// The containers' next hop, an address on every host-side veth (`network.gateway`, link-local like Calico's).
    public var gateway = IPv4Address(0xA9FE_0101)   // 169.254.1.1
    /// Every node's container ranges together (`network.cluster`): containers there are reachable across nodes.
    public var cluster: IPv4Network?
    /// Cluster services containers may reach (`network.allow=cidr[:port],...`).
    public var allow: [NetworkEndpoint] = []
    /// The NodeManager's ports containers may reach on their own node (shuffle services).
    public var nodePorts: [UInt16] = [13562, 7337]
    /// runsc's stack for routed containers (`network.runsc`): `sandbox` (gVisor's netstack), `host` (the host
    /// kernel's stack, inside the container's own namespace), or `auto`: `sandbox` unless the runsc in use would
    /// take the namespace for the root one (docs/networking.md, "gVisor").
    public var runscStack = "auto"
    /// `network.tunnel=vxlan`: container-to-container traffic between nodes travels in VXLAN with the
    /// application's key as VNI, so the receiving node knows the sender's application (docs/networking.md).
    public var tunnel = false
    /// Every node's block and address (`network.nodes=<range>@<address>,...`, this node included).
    public var nodes: [NetworkNode] = []
    /// UDP port of the tunnel (`network.tunnel.port`).
    public var tunnelPort: UInt16 = 4789
    /// The containers' MTU (`network.mtu`): absent leaves the kernel's 1500, except under the tunnel, where
    /// the VXLAN header's 50 bytes are taken off.
    public var mtu: Int?
    /// `network.node-address.ports=<low>-<high>`: TCP ports of this node's own address (its `network.nodes`
    /// entry) lent to routed containers, `network.node-address.block` each, so that software binding the
    /// NodeManager's host (Spark's executors on YARN) works in a container's own namespace (docs/networking.md).
    public var sharedPorts: ClosedRange<UInt16>?
    public var portBlockSize = 64
    /// `network.node-address.method`: how a share reaches the program. `auto`: the namespace's own rules where the
    /// sandbox uses the namespace's Linux stack (runc, runsc's host stack), kyr-share.so where it keeps its own
    /// (gVisor's netstack, a Kata VM); `preload`: kyr-share.so everywhere (docs/networking.md).
    public var shareMethod = NodeAddressMethod.auto

    public init() {}

    /// How a share reaches the program (`network.node-address.method`).
    public enum NodeAddressMethod: String, Sendable, Equatable { case auto, preload }

    /// The address YARN names this node by, when it is shared with containers.
    public var sharedNodeAddress: IPv4Address? { sharedPorts == nil ? nil : ownNode?.address }

    /// This node's own `network.nodes` entry (the one whose block is `network.range`).
    public var ownNode: NetworkNode? { nodes.first { $0.range == range } }
    /// The MTU containers get: `network.mtu`, or 1450 under the tunnel.
    public var containerMTU: Int? { mtu ?? (tunnel ? 1450 : nil) }

    init(_ file: ConfigFile) throws(RuntimeError) {
        let s = "kata"
        func fail(_ key: String, _ raw: String, _ what: String) -> RuntimeError {
            RuntimeError(.invalidConfigFile, "[kata] \(key) must be \(what): \(raw)")
        }
        if let v = file.value("network", section: s) {
            guard let parsed = NetworkMode(rawValue: v) else { throw fail("network", v, "host, none or routed") }
            mode = parsed
        }
        for v in file.list("network.allowed", section: s) ?? [] {
            guard let parsed = NetworkMode(rawValue: v) else { throw fail("network.allowed", v, "host, none or routed") }
            allowedModes.append(parsed)
        }
        if let v = file.value("network.range", section: s) {
            guard let net = IPv4Network(v), net.prefix >= 16, net.prefix <= 30 else { throw fail("network.range", v, "a CIDR block /16 to /30") }
            range = net
        }
        if let v = file.value("network.gateway", section: s) {
            guard let gw = IPv4Address(v) else { throw fail("network.gateway", v, "an IPv4 address") }
            gateway = gw
        }
        if let v = file.value("network.cluster", section: s) {
            guard let net = IPv4Network(v) else { throw fail("network.cluster", v, "a CIDR block") }
            cluster = net
        }
        for v in file.list("network.allow", section: s) ?? [] {
            guard let endpoint = NetworkEndpoint(v) else { throw fail("network.allow", v, "cidr or cidr:port") }
            allow.append(endpoint)
        }
        if let list = file.list("network.node-ports", section: s) {
            nodePorts = []
            for v in list {
                guard let port = UInt16(v), port > 0 else { throw fail("network.node-ports", v, "TCP ports") }
                nodePorts.append(port)
            }
        }
        if let v = file.value("network.runsc", section: s) {
            guard ["auto", "sandbox", "host"].contains(v) else { throw fail("network.runsc", v, "auto, sandbox or host") }
            runscStack = v
        }
        if let v = file.value("network.tunnel", section: s) {
            guard ["none", "vxlan"].contains(v) else { throw fail("network.tunnel", v, "none or vxlan") }
            tunnel = v == "vxlan"
        }
        for v in file.list("network.nodes", section: s) ?? [] {
            guard let node = NetworkNode(v) else { throw fail("network.nodes", v, "<range>@<node address>") }
            nodes.append(node)
        }
        if let v = file.value("network.tunnel.port", section: s) {
            guard let port = UInt16(v), port > 0 else { throw fail("network.tunnel.port", v, "a UDP port") }
            tunnelPort = port
        }
        if let v = file.value("network.mtu", section: s) {
            guard let mtu = Int(v), (576...9000).contains(mtu) else { throw fail("network.mtu", v, "576 to 9000") }
            self.mtu = mtu
        }
        if let v = file.value("network.node-address.ports", section: s) {
            guard let ports = ClosedRange(ports: v), ports.lowerBound >= 1024, ports.lowerBound < ports.upperBound else {
                throw fail("network.node-address.ports", v, "<low>-<high> with 1024 <= low < high <= 65535")
            }
            sharedPorts = ports
        }
        if let v = file.value("network.node-address.block", section: s) {
            guard let size = Int(v), (8...4096).contains(size) else { throw fail("network.node-address.block", v, "8 to 4096 ports") }
            portBlockSize = size
        }
        if let v = file.value("network.node-address.method", section: s) {
            guard let method = NodeAddressMethod(rawValue: v) else { throw fail("network.node-address.method", v, "auto or preload") }
            shareMethod = method
        }
        if tunnel { try checkTunnel() }
        if sharedPorts != nil { try checkSharedPorts() }
        if let range {
            guard !range.contains(gateway) else { throw fail("network.gateway", gateway.description, "outside network.range") }
            if let cluster, !cluster.contains(range) { throw fail("network.cluster", cluster.description, "a block containing network.range") }
        }
        if mode == .routed, range == nil { throw RuntimeError(.invalidConfigFile, "[kata] network=routed needs network.range") }
    }

    /// Lending ports needs the node's address (its `network.nodes` entry), a block for every address of the range,
    /// and none of the NodeManager ports containers reach on the node inside the lent range (they would be taken).
    func checkSharedPorts() throws(RuntimeError) {
        guard let ports = sharedPorts else { return }
        func fail(_ what: String) -> RuntimeError { RuntimeError(.invalidConfigFile, "[kata] network.node-address.ports=\(ports.portsText): \(what)") }
        guard range != nil, ownNode != nil else {
            throw fail("needs network.range and its network.nodes entry (<range>@<the address YARN names this node by>)")
        }
        // Every node lends the same ports, and other nodes map a block to an address of this node's range.
        let blocks = (Int(ports.upperBound) - Int(ports.lowerBound) + 1) / portBlockSize
        for node in nodes where blocks < node.range.hostCount {
            throw fail("\(blocks) blocks of \(portBlockSize) ports for the \(node.range.hostCount) addresses of \(node.range)")
        }
        if let taken = nodePorts.first(where: { ports.contains($0) }) { throw fail("contains network.node-ports \(taken)") }
        if let problem = nodesProblem { throw fail("network.nodes: \(problem)") }
        // Another node's block is reached as its container's address: container-to-container traffic, which only
        // network.cluster lets out.
        for node in nodes where node != ownNode && !(cluster?.contains(node.range) ?? false) {
            throw fail("another node's block \(node.range) must be inside network.cluster (\(cluster?.description ?? "unset"))")
        }
    }

    /// The tunnel needs the cluster block, this node's own entry, and non-overlapping blocks inside the cluster
    /// on distinct node addresses (a mistake here would route one tenant's traffic to the wrong node).
    func checkTunnel() throws(RuntimeError) {
        func fail(_ what: String) -> RuntimeError { RuntimeError(.invalidConfigFile, "[kata] network.tunnel=vxlan: \(what)") }
        guard let cluster, range != nil else { throw fail("needs network.range and network.cluster") }
        guard ownNode != nil else { throw fail("network.nodes must list this node's network.range with its address") }
        for node in nodes where !cluster.contains(node.range) { throw fail("\(node.range) is outside network.cluster \(cluster)") }
        if let problem = nodesProblem { throw fail(problem) }
    }

    /// Blocks that overlap or an address listed twice: either would send traffic (a tenant's, under the tunnel; a
    /// lent port's, with `network.node-address.ports`) to the wrong node.
    var nodesProblem: String? {
        for (i, node) in nodes.enumerated() {
            for other in nodes[(i + 1)...] {
                if node.range.overlaps(other.range) { return "\(node.range) overlaps \(other.range)" }
                if node.address == other.address { return "\(node.address) is listed twice" }
            }
        }
        return nil
    }
}
