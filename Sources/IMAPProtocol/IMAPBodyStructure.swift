/// body = "(" (body-type-1part / body-type-mpart) ")"   (RFC 3501 §7.4.2, §9)
public indirect enum IMAPBodyStructure: Equatable, Sendable {
    case singlePart(IMAPSinglePart)
    case multipart(IMAPMultipart)
}

/// body-param: a MIME parameter (name and value).
public struct IMAPBodyParameter: Equatable, Sendable {
    public var name: [UInt8]
    public var value: [UInt8]

    public init(_ name: String, _ value: String) {
        self.name = Array(name.utf8)
        self.value = Array(value.utf8)
    }
}

/// body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets
public struct IMAPBodyFields: Equatable, Sendable {
    public var parameters: [IMAPBodyParameter]
    public var id: [UInt8]?
    public var description: [UInt8]?
    public var encoding: [UInt8]
    public var octets: Int

    public init(parameters: [IMAPBodyParameter] = [], id: [UInt8]? = nil, description: [UInt8]? = nil,
                encoding: String = "7BIT", octets: Int) {
        self.parameters = parameters
        self.id = id
        self.description = description
        self.encoding = Array(encoding.utf8)
        self.octets = octets
    }
}

/// body-type-1part = (body-type-basic / body-type-msg / body-type-text) [SP body-ext-1part]
public struct IMAPSinglePart: Equatable, Sendable {
    public var type: [UInt8]
    public var subtype: [UInt8]
    public var fields: IMAPBodyFields
    public var kind: Kind
    /// body-ext-1part, written only in BODYSTRUCTURE.
    public var extensionData: IMAPBodyExtension?
    /// body-fld-md5, the first extension field of a single part.
    public var md5: [UInt8]?

    public indirect enum Kind: Equatable, Sendable {
        /// body-type-basic = media-basic SP body-fields
        case basic
        /// body-type-text = media-text SP body-fields SP body-fld-lines
        case text(lines: Int)
        /// body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines
        case message(IMAPEnvelope, IMAPBodyStructure, lines: Int)
    }

    public init(type: String, subtype: String, fields: IMAPBodyFields, kind: Kind,
                md5: [UInt8]? = nil, extensionData: IMAPBodyExtension? = nil) {
        self.type = Array(type.utf8)
        self.subtype = Array(subtype.utf8)
        self.fields = fields
        self.kind = kind
        self.md5 = md5
        self.extensionData = extensionData
    }
}

/// body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
public struct IMAPMultipart: Equatable, Sendable {
    public var parts: [IMAPBodyStructure]
    public var subtype: [UInt8]
    /// body-ext-mpart's body-fld-param, written only in BODYSTRUCTURE.
    public var parameters: [IMAPBodyParameter]?
    public var extensionData: IMAPBodyExtension?

    public init(parts: [IMAPBodyStructure], subtype: String, parameters: [IMAPBodyParameter]? = nil,
                extensionData: IMAPBodyExtension? = nil) {
        self.parts = parts
        self.subtype = Array(subtype.utf8)
        self.parameters = parameters
        self.extensionData = extensionData
    }
}

/// The extension fields both part kinds share: [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
public struct IMAPBodyExtension: Equatable, Sendable {
    /// body-fld-dsp = "(" string SP body-fld-param ")" / nil: nil kind for NIL.
    public var dispositionKind: [UInt8]?
    public var dispositionParameters: [IMAPBodyParameter]
    /// body-fld-lang = nstring / "(" string *(SP string) ")"
    public var languages: [[UInt8]]
    /// body-fld-loc = nstring
    public var location: [UInt8]?

    public init(dispositionKind: [UInt8]? = nil, dispositionParameters: [IMAPBodyParameter] = [],
                languages: [[UInt8]] = [], location: [UInt8]? = nil) {
        self.dispositionKind = dispositionKind
        self.dispositionParameters = dispositionParameters
        self.languages = languages
        self.location = location
    }
}
