package dev.speakerembedding.api;

import dev.speakerembedding.inference.UploadBudget;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.RequestScoped;

/**
 * The current request's reservation in the upload budget. Request scoped, so the reservation is given back when
 * the request ends whatever happened (and earlier, when its response is ready).
 */
@RequestScoped
public class RequestUpload {

    private UploadBudget.Account account;
    private LimitedInputStream body;

    void open(UploadBudget.Account opened, LimitedInputStream stream) {
        release();
        this.account = opened;
        this.body = stream;
    }

    /** The request's body stream as the limits wrapped it, or null when it was refused before that. */
    LimitedInputStream body() {
        return body;
    }

    @PreDestroy
    public void release() {
        UploadBudget.Account a = account;
        if (a != null) {
            a.close();
        }
    }
}
