import type { IncomingMessage } from 'node:http';
import t from 'tap';
import {
  compileExpectedHeaders,
  dataKitEncodingOf,
  dataKitEncodingOfRequest,
  encodingOf,
  isDataKitExactContentType,
  MEDIA_TYPE,
  SUPPORTED_MEDIA_TYPES,
  type DistinctHeaders,
} from '../src/otlp/media-type.js';

t.test('spec mode: media type parsed, case-insensitive, parameters ignored (checklist 5, 6)', async (t) => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ['application/x-protobuf', 'protobuf'],
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/json;charset=UTF-8', 'json'],
    ['APPLICATION/JSON', 'json'],
    ['Application/X-Protobuf', 'protobuf'],
    ['  application/x-protobuf  ', 'protobuf'],
    ['application/x-protobuf; proto=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest', 'protobuf'],
    [undefined, undefined],
    ['', undefined],
    ['text/plain', undefined],
    ['application/protobuf', undefined],
    ['application/jsonx', undefined],
    ['application/json-seq', undefined],
    ['application/x-www-form-urlencoded', undefined],
  ];
  for (const [header, encoding] of cases) t.equal(encodingOf(header), encoding, JSON.stringify(header));
  t.same(MEDIA_TYPE, { protobuf: 'application/x-protobuf', json: 'application/json' });
  t.equal(SUPPORTED_MEDIA_TYPES, 'application/x-protobuf, application/json');
});

t.test('DataKit: one exact, case-sensitive value (Q3)', async (t) => {
  t.equal(isDataKitExactContentType('application/json'), true);
  t.equal(isDataKitExactContentType('application/x-protobuf'), true);
  t.equal(isDataKitExactContentType('application/json; charset=utf-8'), false);
  t.equal(isDataKitExactContentType('Application/JSON'), false);
  t.equal(isDataKitExactContentType(' application/json'), false);
});

t.test("expected_headers keep only names already in Go's canonical form (Q5)", async (t) => {
  t.same(compileExpectedHeaders({ 'X-Api-Key': 'k', 'x-api-key': 'k2', ex_version: '1.0', Ex_version: '2', 'X-API-Key': 'k3', '': 'x' }), [
    { lowerName: 'x-api-key', value: 'k' },
    { lowerName: 'ex_version', value: '2' },
  ]);
});

t.test('DataKit header check then decoder choice (datakit §3.3, §3.5)', async (t) => {
  const expected = compileExpectedHeaders({ 'X-Token': 'secret' });
  const cases: Array<[string, DistinctHeaders, string | undefined]> = [
    ['exact JSON', { 'content-type': ['application/json'] }, 'json'],
    ['exact protobuf', { 'content-type': ['application/x-protobuf'] }, 'protobuf'],
    ['missing', {}, undefined],
    ['charset', { 'content-type': ['application/json; charset=utf-8'] }, undefined],
    ['upper case', { 'content-type': ['APPLICATION/JSON'] }, undefined],
    // ANY value passes the check; the decoder then reads the FIRST value up to ';', trimmed, case-sensitive.
    ['a later exact value lets a first value with parameters through', { 'content-type': ['application/json; charset=utf-8', 'application/x-protobuf'] }, 'json'],
    ['a later exact value does not save an unknown first value', { 'content-type': ['text/plain', 'application/json'] }, undefined],
    // An expected header is OR-ed with the check; it cannot help without a Content-Type at all.
    ['expected header lets parameters through', { 'content-type': [' application/x-protobuf ;x=1'], 'x-token': ['secret'] }, 'protobuf'],
    ['expected header with another value', { 'content-type': ['application/json; charset=utf-8'], 'x-token': ['other'] }, undefined],
    ['expected header without Content-Type', { 'x-token': ['secret'] }, undefined],
  ];
  for (const [name, headers, encoding] of cases) t.equal(dataKitEncodingOf(headers, expected), encoding, name);
});

t.test('dataKitEncodingOfRequest answers like dataKitEncodingOf and builds the distinct lists only when needed', async (t) => {
  const request = (first: string | undefined, distinct: DistinctHeaders) => {
    let distinctRead = false;
    const req = {
      headers: { 'content-type': first },
      get headersDistinct() {
        distinctRead = true;
        return distinct;
      },
    } as unknown as IncomingMessage;
    return { req, distinctRead: () => distinctRead };
  };
  const fast = request('application/json', { 'content-type': ['application/json', 'text/plain'] });
  t.equal(dataKitEncodingOfRequest(fast.req, []), 'json');
  t.equal(fast.distinctRead(), false);

  const slow = request('application/json; charset=utf-8', { 'content-type': ['application/json; charset=utf-8', 'application/json'] });
  t.equal(dataKitEncodingOfRequest(slow.req, []), 'json');
  t.equal(slow.distinctRead(), true);

  t.equal(dataKitEncodingOfRequest(request('Application/JSON', { 'content-type': ['Application/JSON'] }).req, []), undefined);
});
