import HadoopConfig

/// A routed container's share of its node's address (`[kata] network.node-address.ports`, docs/networking.md
/// "Sharing the node's address"). YARN tells Spark's executors to bind and advertise the NodeManager's host; in a
/// namespace of its own that address is not the container's. With a share it is, for one block of TCP ports:
///
/// - inside the container the node's address sits on `lo`, the block is the namespace's ephemeral port range (so a
///   bind to port 0 lands in it), and a DNAT turns arrivals for the container's own address into the node's;
/// - the node DNATs `<node address>:<block>` to the container's address (nftables map, one element per container),
///   and other nodes' blocks to their containers' addresses before the packet leaves;
/// - policy routing inside the namespace sends everything else for the node's address (the shuffle service, the
///   NodeManager, other containers' blocks) out to the node, as before.
///
/// The node's own sockets must not get lent ports (a service bound to port 0 would be shadowed): they are outside
/// its ephemeral range or reserved (`net.ipv4.ip_local_reserved_ports`), which the launcher checks. Pure.
public struct NodeAddressShare: Sendable, Equatable {
    public var nodeAddress: IPv4Address
    /// This container's ports.
    public var block: ClosedRange<UInt16>
    /// Every container's ports: the whole lent range, the same on every node.
    public var lent: ClosedRange<UInt16>
    /// How the program gets the block: the namespace's own Linux stack (`namespaceCommands`, `namespaceRules`), or
    /// kyr-share.so for a sandbox that keeps its own stack, which never sees those (`preloadValue`).
    public var delivery = Delivery.namespace

    public enum Delivery: String, Sendable, Equatable {
        case namespace, preload

        /// `auto` follows the sandbox: only one that uses the namespace's Linux stack sees the namespace's rules.
        public static func choose(_ method: NetworkSettings.NodeAddressMethod, kernelStack: Bool) -> Delivery {
            method == .preload || !kernelStack ? .preload : .namespace
        }
    }

    /// Rule priorities inside the namespace: the local table moves behind two rules of its own.
    public static let ownPortsPriority = 100
    public static let nodeAddressPriority = 101
    public static let localPriority = 200
    /// The host's DNAT map in `NFTRules.table`, and the container's own NAT table inside its namespace.
    public static let hostMap = "shared"
    public static let namespaceTable = "ip kyr_node_address"

    public init(nodeAddress: IPv4Address, block: ClosedRange<UInt16>, lent: ClosedRange<UInt16>) {
        self.nodeAddress = nodeAddress; self.block = block; self.lent = lent
    }

    /// The share of `address`: block number = the address's offset in the range (its first usable address gets the
    /// first block). Nil when sharing is off or the settings give the address no block (config checks prevent it).
    public init?(for address: IPv4Address, settings: NetworkSettings) {
        guard let node = settings.sharedNodeAddress, let lent = settings.sharedPorts, let range = settings.range,
              range.contains(address) else { return nil }
        let index = Int(address.value) - Int(range.firstHost.value)
        let low = Int(lent.lowerBound) + index * settings.portBlockSize, high = low + settings.portBlockSize - 1
        guard index >= 0, high <= Int(lent.upperBound) else { return nil }
        self.init(nodeAddress: node, block: UInt16(low)...UInt16(high), lent: lent)
    }

    public var blockText: String { block.portsText }

    // MARK: inside a sandbox with its own stack

    /// `KYR_SHARE` for kyr-share.so (Sources/KyrInit/kyr-share.c): a bind to the node's address becomes a bind to
    /// the container's, port 0 a free port of the block. The node's address itself never enters the sandbox, where
    /// an own stack would make it local for every port and cut the container off the node's services.
    public func preloadValue(containerAddress: IPv4Address) -> String {
        "\(nodeAddress),\(containerAddress),\(block.lowerBound)-\(block.upperBound)"
    }

    // MARK: inside the container's namespace

    /// `ip -batch` lines: the node's address on `lo`; arrivals for it on the block are local, everything else for it
    /// leaves through the default route (from the container's own address, the only one on eth0).
    public var namespaceCommands: [String] {
        [
            "address add \(nodeAddress)/32 dev lo",
            "rule add to \(nodeAddress)/32 ipproto tcp dport \(blockText) lookup local pref \(Self.ownPortsPriority)",
            "rule add to \(nodeAddress)/32 lookup main pref \(Self.nodeAddressPriority)",
            "rule add lookup local pref \(Self.localPriority)",
            "rule del lookup local pref 0",
        ]
    }

    /// `/proc/sys/net/ipv4/ip_local_port_range` of the namespace: sockets bound to port 0 get a port of the block.
    public var ephemeralRange: String { "\(block.lowerBound) \(block.upperBound)\n" }

    /// `nft -f` inside the namespace: the node DNATs to the container's address; the container hands the
    /// connection to the socket bound on the node's address, unless a socket already takes it as addressed (one
    /// bound to the container's own address or to all: the block is also where the container's own listeners land,
    /// a Spark driver's for one). `socket transparent {0, 1}` matches whenever the lookup finds a socket at all.
    public func namespaceRules(containerAddress: IPv4Address) -> String {
        let t = Self.namespaceTable
        let match = "iifname \"\(ContainerNetworkPlan.containerInterface)\" ip daddr \(containerAddress) tcp dport \(blockText)"
        return [
            "add table \(t)",
            "add chain \(t) prerouting { type nat hook prerouting priority dstnat; policy accept; }",
            "add rule \(t) prerouting \(match) socket transparent { 0, 1 } accept",
            "add rule \(t) prerouting \(match) dnat to \(nodeAddress)",
        ].joined(separator: "\n") + "\n"
    }

    // MARK: the node

    /// Skeleton lines for `NFTRules.table`: the map from `<node address> . <block>` to the container holding it,
    /// and the DNAT that reads it. This node's elements come and go with its containers; every other node's are
    /// static (`peerElements`): a container dialling another node's lent port is DNATed here, before it leaves, to
    /// the container address that block belongs to there, so the packet crosses as container-to-container traffic
    /// (through the tunnel with its application's key, which the far end checks) rather than as traffic for a
    /// node address, which carries no application.
    static func hostSkeleton(settings: NetworkSettings) -> [String] {
        guard settings.sharedNodeAddress != nil else { return [] }
        let t = NFTRules.table
        var lines = [
            "add map \(t) \(hostMap) { type ipv4_addr . inet_service : ipv4_addr; flags interval; }",
            "add chain \(t) prerouting { type nat hook prerouting priority dstnat; policy accept; }",
            "flush chain \(t) prerouting",
            "add rule \(t) prerouting meta l4proto tcp dnat ip to ip daddr . tcp dport map @\(hostMap)",
            // A container dialling its own block at the node's address (kyr-share.so leaves the node's address
            // outside the sandbox) comes back to itself with its own address as source, which a stack drops as a
            // martian: such connections leave the node from the gateway address instead.
            "add set \(t) \(hairpinSet) { type ipv4_addr . ipv4_addr; }",
            "add chain \(t) postrouting { type nat hook postrouting priority srcnat; policy accept; }",
            "flush chain \(t) postrouting",
            "add rule \(t) postrouting ip saddr . ip daddr @\(hairpinSet) snat ip to \(settings.gateway)",
        ]
        let peers = peerElements(settings: settings)
        if !peers.isEmpty { lines.append("add element \(t) \(hostMap) { \(peers.joined(separator: ", ")) }") }
        return lines
    }

    /// Every other node's blocks: the same lent range and block size everywhere, so block `i` of a node is the
    /// `i`-th address of its `network.nodes` range.
    static func peerElements(settings: NetworkSettings) -> [String] {
        guard let lent = settings.sharedPorts else { return [] }
        var elements: [String] = []
        for peer in settings.nodes where peer != settings.ownNode {
            let blocks = (Int(lent.upperBound) - Int(lent.lowerBound) + 1) / settings.portBlockSize
            for index in 0..<min(peer.range.hostCount, blocks) {
                let low = Int(lent.lowerBound) + index * settings.portBlockSize
                elements.append("\(peer.address) . \(low)-\(low + settings.portBlockSize - 1) : \(IPv4Address(peer.range.firstHost.value + UInt32(index)))")
            }
        }
        return elements
    }

    static let hairpinSet = "hairpin"

    func hostElements(containerAddress: IPv4Address) -> [String] {
        ["add element \(NFTRules.table) \(Self.hostMap) { \(nodeAddress) . \(blockText) : \(containerAddress) }",
         "add element \(NFTRules.table) \(Self.hairpinSet) { \(containerAddress) . \(containerAddress) }"]
    }

    func hostElementRemovals(containerAddress: IPv4Address) -> [String] {
        ["delete element \(NFTRules.table) \(Self.hostMap) { \(nodeAddress) . \(blockText) }",
         "delete element \(NFTRules.table) \(Self.hairpinSet) { \(containerAddress) . \(containerAddress) }"]
    }

    // MARK: the node's own ports

    /// The lent ports the node could give its own sockets bound to port 0: those inside its ephemeral range
    /// (`ip_local_port_range`) and not reserved (`ip_local_reserved_ports`). Nil when there are none.
    public static func unreservedOverlap(lent: ClosedRange<UInt16>, ephemeral: ClosedRange<UInt16>,
                                         reserved: [ClosedRange<UInt16>]) -> ClosedRange<UInt16>? {
        guard lent.overlaps(ephemeral) else { return nil }
        let overlap = lent.clamped(to: ephemeral)
        var first: UInt16?, last: UInt16 = 0
        for port in overlap where !reserved.contains(where: { $0.contains(port) }) {
            if first == nil { first = port }
            last = port
        }
        return first.map { $0...last }
    }

    /// `/proc/sys/net/ipv4/ip_local_port_range` ("32768\t60999").
    public static func parseRange(_ text: String) -> ClosedRange<UInt16>? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt16($0) }
        guard fields.count == 2, fields[0] <= fields[1] else { return nil }
        return fields[0]...fields[1]
    }

    /// `/proc/sys/net/ipv4/ip_local_reserved_ports` ("", "8080", "40000-40999,50000").
    public static func parseList(_ text: String) -> [ClosedRange<UInt16>]? {
        var ranges: [ClosedRange<UInt16>] = []
        for item in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            guard let ports = UInt16(item).map({ $0...$0 }) ?? ClosedRange(ports: item) else { return nil }
            ranges.append(ports)
        }
        return ranges
    }
}
