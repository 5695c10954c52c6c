package schema

// Vocabulary of the documents credreg builds for harvesters, lists and
// reports, beyond the records' own terms.

// Triple Pattern Fragments: VoID, FOAF and Hydra's search controls.
const (
	VOID                 = "http://rdfs.org/ns/void#"
	FOAF                 = "http://xmlns.com/foaf/0.1/"
	ClassVoidDataset     = VOID + "Dataset"
	PropVoidTriples      = VOID + "triples"
	PropVoidSubset       = VOID + "subset"
	PropPrimaryTopic     = FOAF + "primaryTopic"
	ClassHydraIriTemp    = Hydra + "IriTemplate"
	ClassHydraMapping    = Hydra + "IriTemplateMapping"
	PropHydraSearch      = Hydra + "search"
	PropHydraTemplate    = Hydra + "template"
	PropHydraMapping     = Hydra + "mapping"
	PropHydraVariable    = Hydra + "variable"
	PropHydraProperty    = Hydra + "property"
	PropHydraVarRepr     = Hydra + "variableRepresentation"
	HydraExplicitRepr    = Hydra + "ExplicitRepresentation"
	PropHydraItemsPerPag = Hydra + "itemsPerPage"
)

// The change feed: ActivityStreams.
const (
	AS                     = "https://www.w3.org/ns/activitystreams#"
	ClassOrderedCollection = AS + "OrderedCollection"
	ClassOrderedCollPage   = AS + "OrderedCollectionPage"
	ClassCreate            = AS + "Create"
	ClassUpdate            = AS + "Update"
	ClassRetire            = Credreg + "Retire"
	PropASItems            = AS + "items"
	PropASPartOf           = AS + "partOf"
	PropASNext             = AS + "next"
	PropASPrev             = AS + "prev"
	PropASObject           = AS + "object"
	PropASActor            = AS + "actor"
	PropASPublished        = AS + "published"
	PropASTotalItems       = AS + "totalItems"
	// The change log's own terms on each activity: its number, the
	// writer's name and the record's content hash after the change.
	PropSequence    = Credreg + "sequence"
	PropActorName   = Credreg + "actor"
	PropContentHash = Credreg + "contentHash"
)

// The dataset description: VoID and DCAT.
const (
	DCAT                 = "http://www.w3.org/ns/dcat#"
	ClassDCATDataset     = DCAT + "Dataset"
	ClassDCATDistrib     = DCAT + "Distribution"
	PropDCATDistribution = DCAT + "distribution"
	PropDCATDownloadURL  = DCAT + "downloadURL"
	PropDCATMediaType    = DCAT + "mediaType"
	PropVoidEntities     = VOID + "entities"
	PropVoidClasses      = VOID + "classes"
	PropVoidClassPart    = VOID + "classPartition"
	PropVoidClass        = VOID + "class"
	PropVoidURISpace     = VOID + "uriSpace"
	PropVoidDataDump     = VOID + "dataDump"
	PropVoidVocabulary   = VOID + "vocabulary"
	PropVoidFeature      = VOID + "feature"
	PropDCTLicense       = DCT + "license"
	PropDCTDescription   = DCT + "description"
	PropDCTModified      = DCT + "modified"
	PropChangeFeed       = Credreg + "changeFeed"
	FormatNQuads         = "http://www.w3.org/ns/formats/N-Quads"
)

// Paging: Hydra's partial collection views.
const (
	ClassPartialCollectionView = Hydra + "PartialCollectionView"
	PropView                   = Hydra + "view"
	PropFirst                  = Hydra + "first"
	PropNext                   = Hydra + "next"
	PropPrevious               = Hydra + "previous"
)

// The report by Career Cluster.
const (
	ClassClusterReport   = Credreg + "ClusterReport"
	ClassClusterSummary  = Credreg + "ClusterSummary"
	ClassBreakdown       = Credreg + "Breakdown"
	PropSummary          = Credreg + "summary"
	PropCredentialCount  = Credreg + "credentialCount"
	PropDesignationCount = Credreg + "designationCount"
	PropSingleAgency     = Credreg + "singleAgencyCount"
	PropMultiAgency      = Credreg + "multiAgencyCount"
	PropContested        = Credreg + "contestedCount"
	PropByAgency         = Credreg + "byAgency"
	PropByType           = Credreg + "byType"
	PropByRegion         = Credreg + "byRegion"
	PropItem             = Credreg + "item"
	PropDate             = DCT + "date"
)
