/// IPv4 values for routed networking (`[kata] network.*`). Pure parsing: dotted quads, CIDR blocks, endpoints.
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var value: UInt32
    public init(_ value: UInt32) { self.value = value }

    /// Strict dotted quad: four decimal octets 0...255, no leading zeros (so no octal ambiguity).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part == "0" || part.first != "0", let octet = UInt32(part), octet <= 255 else { return nil }
            result = result << 8 | octet
        }
        value = result
    }

    public var description: String {
        [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xff) }.joined(separator: ".")
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// A CIDR block whose address has no host bits set (`10.244.1.0/24`; a bare address is a /32).
public struct IPv4Network: Sendable, Hashable, CustomStringConvertible {
    public var address: IPv4Address
    public var prefix: Int

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPv4Address(parts[0]) else { return nil }
        var prefix = 32
        if parts.count == 2 {
            guard parts[1].count <= 2, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(parts[1]), p <= 32 else { return nil }
            prefix = p
        }
        guard address.value & ~Self.mask(prefix) == 0 else { return nil }
        self.address = address
        self.prefix = prefix
    }

    public init(address: IPv4Address, prefix: Int) { self.address = address; self.prefix = prefix }

    static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }

    public var mask: UInt32 { Self.mask(prefix) }
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefix) }
    public var last: IPv4Address { IPv4Address(address.value | ~mask) }

    /// The addresses a host may hold: all but the network and broadcast addresses (a /31 or /32 has neither).
    public var firstHost: IPv4Address { IPv4Address(address.value + (prefix < 31 ? 1 : 0)) }
    public var lastHost: IPv4Address { IPv4Address(last.value - (prefix < 31 ? 1 : 0)) }
    public var hostCount: Int { Int(lastHost.value - firstHost.value) + 1 }

    public func contains(_ other: IPv4Address) -> Bool { other.value & mask == address.value }
    public func contains(_ other: IPv4Network) -> Bool { other.prefix >= prefix && contains(other.address) }
    public func overlaps(_ other: IPv4Network) -> Bool { contains(other.address) || other.contains(address) }

    public var description: String { "\(address)/\(prefix)" }
}

/// One `network.allow` entry: `cidr` (every port) or `cidr:port` (TCP and UDP to that port).
public struct NetworkEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var network: IPv4Network
    public var port: UInt16?

    public init(network: IPv4Network, port: UInt16?) { self.network = network; self.port = port }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let network = IPv4Network(parts[0]) else { return nil }
        self.network = network
        if parts.count == 2 {
            guard let port = UInt16(parts[1]), port > 0, parts[1].first != "0" else { return nil }
            self.port = port
        }
    }

    public var description: String { port.map { "\(network):\($0)" } ?? network.description }
}

/// One `network.nodes` entry, `<container range>@<node address>`: which node owns which block, for the tunnel.
public struct NetworkNode: Sendable, Hashable, CustomStringConvertible {
    public var range: IPv4Network
    public var address: IPv4Address

    public init(range: IPv4Network, address: IPv4Address) { self.range = range; self.address = address }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let range = IPv4Network(parts[0]), let address = IPv4Address(parts[1]) else { return nil }
        self.range = range; self.address = address
    }

    public var description: String { "\(range)@\(address)" }
}

/// Port ranges as the config, the allocation records and the kernel's /proc/sys knobs write them: `low-high`.
extension ClosedRange where Bound == UInt16 {
    public init?(ports text: some StringProtocol) {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let low = UInt16(bounds[0]), let high = UInt16(bounds[1]), low <= high else { return nil }
        self = low...high
    }

    public var portsText: String { "\(lowerBound)-\(upperBound)" }
}
