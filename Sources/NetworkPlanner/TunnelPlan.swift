import HadoopConfig
import RuntimeBase
import YarnContract

/// Cross-node tenant isolation (`[kata] network.tunnel=vxlan`, docs/networking.md "Across nodes"): traffic
/// between containers on different nodes travels in VXLAN whose VNI is the sender's application key, set by the
/// sending node's routing, never by the container. The receiving node looks the packet up in that application's
/// routing table, which holds only that application's containers here; any other key ends in a blackhole.
///
/// Objects, all in the node's namespace: one flow-based VXLAN device (`external`: the VNI and remote come from
/// each route), one routing table per application (`table = tableBase + key`: its containers' /32s and the other
/// nodes' blocks through the tunnel with the key), rules sending each container's packets and each key's arrivals
/// to that table, and a blackhole for anything else the device delivers. Pure.
public struct TunnelPlan: Sendable, Equatable {
    public static let device = "kyr-vxlan"
    public static let tableBase: UInt32 = 0x4B00_0000
    /// Rule priorities: the per-container and per-key rules, then the catch-all for the tunnel.
    public static let rulePriority = 1000
    public static let blackholePriority = 1001
    /// Source ports of the tunnel's packets: privileged ones, which only root can send from, so a receiving node
    /// can tell a frame its peer's kernel sent from one a tenant's process on that peer made by hand.
    public static let sourcePorts = 1000..<1024

    public var settings: NetworkSettings

    public init(settings: NetworkSettings) { self.settings = settings }

    /// 1 ... 2^24 - 1, the VNI range. The sequence number keeps keys distinct among the applications of one
    /// ResourceManager epoch (until 16.7 M later submissions wrap around); the cluster timestamp shifts each
    /// epoch, because a restarted RM numbers from 1 again while recovered applications keep running.
    public static func key(of application: ApplicationId) -> UInt32 {
        let parts = application.value.split(separator: "_")
        let modulus: UInt64 = (1 << 24) - 1
        let sequence = UInt64(parts.count == 3 ? parts[2] : "") ?? 0
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (parts.count == 3 ? parts[1] : "").utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return UInt32((sequence % modulus + hash % modulus) % modulus + 1)
    }

    public static func table(of application: ApplicationId) -> UInt32 { tableBase + key(of: application) }

    /// The device's MAC: 02:6b and the node's IPv4 address. Peers address frames to it; a VXLAN device drops
    /// frames that carry its own MAC as the source, so every node needs its own.
    public static func mac(of address: IPv4Address) -> String {
        let v = address.value
        let bytes = [0x02, 0x6b, v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]
        return bytes.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    var peers: [NetworkNode] { settings.nodes.filter { $0 != settings.ownNode } }

    /// Once per node (when the device is missing): the device, a static neighbour per peer (its MAC is known),
    /// and the blackhole for keys no application here holds.
    public var nodeCommands: [String] {
        guard let own = settings.ownNode else { return [] }
        let dev = Self.device
        var lines = [
            "link add \(dev) address \(Self.mac(of: own.address)) mtu \(settings.containerMTU ?? 1450) type vxlan external "
                + "dstport \(settings.tunnelPort) srcport \(Self.sourcePorts.lowerBound) \(Self.sourcePorts.upperBound) nolearning",
            "link set \(dev) up",
        ]
        for peer in peers {
            lines.append("neigh replace \(peer.address) lladdr \(Self.mac(of: peer.address)) dev \(dev) nud permanent")
        }
        lines.append("rule add iif \(dev) blackhole pref \(Self.blackholePriority)")
        return lines
    }

    /// Deleting the device takes its neighbours and every route through it (the application tables' tunnel
    /// routes included) along.
    public static let nodeTeardown = ["rule del iif \(device) blackhole pref \(blackholePriority)", "link delete \(device)"]

    /// Once per application on this node: arrivals with its key use its table; its table reaches every other
    /// node's block through the tunnel with its key.
    public func applicationCommands(_ application: ApplicationId) -> [String] {
        let key = Self.key(of: application), table = Self.table(of: application), dev = Self.device
        var lines = ["rule add tun_id \(key) lookup \(table) pref \(Self.rulePriority)"]
        for peer in peers {
            lines.append("route replace \(peer.range) via \(peer.address) dev \(dev) onlink encap ip id \(key) dst \(peer.address) table \(table)")
        }
        return lines
    }

    /// Undoes `applicationCommands` (a rule left by a launcher that died before its marker); the table keeps the
    /// /32s of containers that launched meanwhile, and its tunnel routes are replaced, not added.
    public static func applicationRuleRemoval(_ application: ApplicationId) -> [String] {
        ["rule del tun_id \(key(of: application)) lookup \(table(of: application)) pref \(rulePriority)"]
    }

    public static func applicationTeardown(_ application: ApplicationId) -> [String] { applicationTeardown(key: key(of: application)) }

    public static func applicationTeardown(key: UInt32) -> [String] {
        ["rule del tun_id \(key) lookup \(tableBase + key) pref \(rulePriority)", "route flush table \(tableBase + key)"]
    }

    /// Per container: its /32 in its application's table, and its packets routed by that table.
    public static func containerCommands(_ plan: ContainerNetworkPlan) -> [String] {
        let table = table(of: plan.applicationId)
        return [
            "route replace \(plan.address)/32 dev \(plan.hostInterface) scope link table \(table)",
            "rule add from \(plan.address)/32 lookup \(table) pref \(rulePriority)",
        ]
    }

    /// The /32 goes with the veth; the rule does not.
    public static func containerTeardown(_ plan: ContainerNetworkPlan) -> [String] {
        ["rule del from \(plan.address)/32 lookup \(table(of: plan.applicationId)) pref \(rulePriority)"]
    }
}
