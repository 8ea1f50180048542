import HadoopConfig

/// Picks a container address: the lowest free one of the range, never its network or broadcast address, nor
/// the gateway. Pure; the caller holds `<state-root>/netns/ipam.lock` while it reads `used` and records the result.
public enum AddressAllocator {
    public static func allocate(in range: IPv4Network, used: Set<IPv4Address>, gateway: IPv4Address) -> IPv4Address? {
        let first = range.firstHost.value, last = range.lastHost.value
        var candidate = first
        while true {
            let address = IPv4Address(candidate)
            if !used.contains(address), address != gateway { return address }
            if candidate == last { return nil }
            candidate += 1
        }
    }

    /// How many containers the range can hold.
    public static func capacity(of range: IPv4Network) -> UInt64 { UInt64(range.hostCount) }
}
