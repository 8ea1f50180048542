import StrictJSON
import Testing

@Suite struct JSONTests {
    @Test("round trip is deterministic and sorted")
    func roundTrip() throws {
        let value = try JSONParser().parse(#"{"b":[1,-2.5e3,true,null],"a":"\u00e9\n\"x\"","c":{}}"#)
        #expect(JSONWriter.encode(value, pretty: false) == #"{"a":"é\n\"x\"","b":[1,-2.5e3,true,null],"c":{}}"#)
        #expect(try JSONParser().parse(JSONWriter.encode(value)) == value)
    }

    @Test("hostile documents are refused", arguments: [
        #"{"a":1,"a":2}"#, #"{"a":1}x"#, "[1,]", #"{"a":01}"#, "\"\u{01}\"", #""\ud800""#, "[" + String(repeating: "[", count: 100),
        "", "nul", #"{"a" 1}"#, "1.", "-", #""\x""#,
    ])
    func refuses(_ text: String) {
        #expect(throws: JSONParser.ParseError.self) { try JSONParser().parse(text) }
    }

    @Test("size limit")
    func sizeLimit() {
        let big = "[" + String(repeating: "1,", count: 1000) + "1]"
        #expect(throws: JSONParser.ParseError.self) { try JSONParser(limits: .init(maxBytes: 100)).parse(big) }
    }

    @Test("invalid utf-8 is refused")
    func invalidUTF8() {
        #expect(throws: JSONParser.ParseError.self) { try JSONParser().parse([0x22, 0xC3, 0x28, 0x22]) }
    }
}
