import HadoopConfig
import RuntimeBase
import YarnContract

/// Everything that wires one container into the routed network, as data: the address, the veth names, the
/// `ip -batch` scripts for the host and for the container's namespace, and its /etc/hosts. Pure.
public struct ContainerNetworkPlan: Sendable, Equatable {
    public var containerId: ContainerId
    public var address: IPv4Address
    public var gateway: IPv4Address
    /// Host end of the veth pair: `ky` + 13 hex digits of a hash of the container id (15 chars, IFNAMSIZ - 1).
    public var hostInterface: String
    public static let containerInterface = "eth0"
    public var namespacePath: String
    public var hostname: String
    /// Both ends' MTU when the node sets one (`network.mtu`, or the tunnel's); not recorded: teardown needs none.
    public var mtu: Int?
    /// Its share of the node's address (`network.node-address.ports`), recorded: teardown removes its block.
    public var share: NodeAddressShare?

    public init(containerId: ContainerId, address: IPv4Address, gateway: IPv4Address, namespacePath: String, hostname: String,
                mtu: Int? = nil, share: NodeAddressShare? = nil) {
        self.containerId = containerId; self.address = address; self.gateway = gateway; self.mtu = mtu; self.share = share
        self.hostInterface = Self.interfaceName(for: containerId)
        self.namespacePath = namespacePath; self.hostname = hostname
    }

    public var applicationId: ApplicationId { containerId.applicationId }

    /// FNV-1a 64 of the id, 52 bits as hex: stable across processes, so any later process finds the veth.
    public static func interfaceName(for id: ContainerId) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.value.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(hash >> 12, radix: 16)
        return "ky" + String(repeating: "0", count: 13 - hex.count) + hex
    }

    /// Run in the node's namespace: the pair (peer created straight in the container's namespace), the
    /// gateway address on the host end, and the /32 route to the container.
    public var hostCommands: [String] {
        let mtu = self.mtu.map { " mtu \($0)" } ?? ""
        return [
            "link add \(hostInterface)\(mtu) type veth peer name \(Self.containerInterface)\(mtu) netns \(namespacePath)",
            "address add \(gateway)/32 dev \(hostInterface) scope link",
            "link set \(hostInterface) up",
            "route add \(address)/32 dev \(hostInterface) scope link",
        ]
    }

    /// Run inside the container's namespace: loopback, the /32 address, an on-link route to the gateway and
    /// the default route through it (Calico's layout: no bridge, no subnet shared with other containers).
    public var namespaceCommands: [String] {
        [
            "link set lo up",
            "address add \(address)/32 dev \(Self.containerInterface)",
            "link set \(Self.containerInterface) up",
            "route add \(gateway)/32 dev \(Self.containerInterface) scope link",
            "route add default via \(gateway) dev \(Self.containerInterface)",
        ]
    }

    /// The container's /etc/hosts: loopback names, its address (canonical) and name, then the node's entries
    /// (cluster host names keep resolving), minus lines that would claim our name for another address.
    public func hostsFile(nodeHosts: String) -> String {
        var lines = [
            "# written by kata-yarn-runtime for \(containerId)",
            "127.0.0.1\tlocalhost",
            "::1\tlocalhost ip6-localhost ip6-loopback",
            // The address is its own canonical name: a reverse lookup (Java's getCanonicalHostName, Spark's default
            // spark.driver.host) yields something every other container can reach, which no `c-…` name is.
            "\(address)\t\(address) \(hostname)",
        ]
        for line in nodeHosts.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            if fields.dropFirst().contains(where: { $0 == hostname || $0 == "localhost" }) { continue }
            lines.append(String(line))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
