package dev.speakerembedding.api;

/**
 * One audio file of a request.
 *
 * @param name  the multipart part's file name or field name; null for a single-file body
 * @param bytes the file as sent
 */
record AudioUpload(String name, byte[] bytes) {
}
