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
        .object([
            "containerId": .string(plan.containerId.value), "address": .string(plan.address.description),
            "gateway": .string(plan.gateway.description), "hostInterface": .string(plan.hostInterface),
            "namespace": .string(plan.namespacePath), "hostname": .string(plan.hostname),
            "launcherPid": .int(Int(launcherPid)),
        ])
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
        guard plan.hostInterface == (try text("hostInterface")) else {
            throw RuntimeError(.generalFailure, "network record: interface does not match the container id")
        }
        launcherPid = Int32(truncatingIfNeeded: pid)
    }
}
