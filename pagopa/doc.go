// Package pagopa makes Multa the creditor's station on the pagoPA node: it
// decodes the SOAP 1.1 calls of the paForNode interface (verify, activate,
// receipts), answers them from the fines and settles them through the same
// payment use case as Multa's own checkout. It knows nothing of HTTP
// frameworks: the server hands it a body and a SOAPAction and writes back
// the bytes it returns.
//
// The message types are named after the elements and complex types of
// paForNode.xsd and sac-common-types-1.0.xsd; only the root element of
// each message is namespace-qualified, as the schema's
// elementFormDefault="unqualified" requires.
package pagopa
