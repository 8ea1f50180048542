import StrictJSON

/// The strict JSON parser (launch contexts, seccomp profiles, runc command files, runtime state). Whatever it
/// accepts must re-encode to JSON that it accepts again and that means the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONParser(limits: .init(maxBytes: 1 << 20, maxDepth: 64)).parse(bytes) else { return 0 }
    for pretty in [false, true] {
        let text = JSONWriter.encode(value, pretty: pretty)
        let again: JSONValue
        do { again = try JSONParser(limits: .init(maxBytes: 1 << 22, maxDepth: 64)).parse(text) } catch {
            preconditionFailure("re-encoded JSON does not parse: \(error) in \(text.prefix(200))")
        }
        precondition(JSONWriter.encode(again, pretty: pretty) == text, "encode(parse(encode(v))) != encode(v)")
    }
    return 0
}
