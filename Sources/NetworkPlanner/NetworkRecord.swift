import HadoopConfig
import RuntimeBase
import StrictJSON
import YarnContract

/// `<state-root>/containers/<cid>/network.json`: the address allocation, written under the IPAM lock before
/// anything is created, removed last. It is what the allocator counts as used and what `gc` tears down.
public struct NetworkRecord: Sendable, Equatable {
    public var plan: ContainerNetworkPlan
    /// The launcher that owns it: when that process is gone, `gc` reclaims everything.
    public var launcherPid: Int32

    public init(plan: ContainerNetworkPlan, launcherPid: Int32) { self.plan = plan; self.launcherPid = launcherPid }

    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "containerId": .string(plan.containerId.value), "address": .string(plan.address.description),
            "gateway": .string(plan.gateway.description), "hostInterface": .string(plan.hostInterface),
            "namespace": .string(plan.namespacePath), "hostname": .string(plan.hostname),
            "launcherPid": .int(Int(launcherPid)),
        ]
        if let share = plan.share {
            fields["share"] = .object(["nodeAddress": .string(share.nodeAddress.description), "block": .string(share.blockText),
                                       "lent": .string(share.lent.portsText), "delivery": .string(share.delivery.rawValue)])
        }
        return .object(fields)
    }

    public init(json: JSONValue) throws(RuntimeError) {
        func text(_ key: String) throws(RuntimeError) -> String {
            guard let value = json[key]?.stringValue else { throw RuntimeError(.generalFailure, "network record: missing \(key)") }
            return value
        }
        guard let address = IPv4Address(try text("address")), let gateway = IPv4Address(try text("gateway")),
              let pid = json["launcherPid"]?.int64Value else {
            throw RuntimeError(.generalFailure, "network record: bad address, gateway or launcherPid")
        }
        let namespace = try text("namespace")
        guard namespace.hasPrefix("/"), !namespace.split(separator: "/").contains("..") else {
            throw RuntimeError(.generalFailure, "network record: bad namespace path")
        }
        plan = ContainerNetworkPlan(containerId: try ContainerId(try text("containerId")), address: address, gateway: gateway,
                                    namespacePath: namespace, hostname: try text("hostname"))
        if let share = json["share"] {
            func ports(_ key: String) -> ClosedRange<UInt16>? { share[key]?.stringValue.flatMap { ClosedRange(ports: $0) } }
            guard let node = share["nodeAddress"]?.stringValue.flatMap({ IPv4Address($0) }), let block = ports("block"),
                  let lent = ports("lent") else { throw RuntimeError(.generalFailure, "network record: bad share") }
            plan.share = NodeAddressShare(nodeAddress: node, block: block, lent: lent)
            // Records written before the preload delivery existed hold namespace shares.
            if let delivery = share["delivery"]?.stringValue {
                guard let parsed = NodeAddressShare.Delivery(rawValue: delivery) else { throw RuntimeError(.generalFailure, "network record: bad share delivery") }
                plan.share?.delivery = parsed
            }
        }
        guard plan.hostInterface == (try text("hostInterface")) else {
            throw RuntimeError(.generalFailure, "network record: interface does not match the container id")
        }
        launcherPid = Int32(truncatingIfNeeded: pid)
    }
}
